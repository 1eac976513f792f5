/**
 * Runs made with the real engine for the replay tests, and an independent
 * reading of where a group's rollouts split, straight from the JSONL files
 * (whole-prefix strings, no shared code with src/tui).
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeRun, writeAnalysis } from '../../src/analysis/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';

/** A maze run: oracle and noisy agents, 2 instances × 6 rollouts at horizon 6. */
export async function makeMazeRun(opts: { rollouts?: number; epsilon?: number; seed?: number } = {}): Promise<string> {
  const spec = parseScenario({
    name: 'tui-maze',
    environment: 'maze',
    horizons: [6],
    instances: 2,
    rollouts: opts.rollouts ?? 6,
    seed: opts.seed ?? 7,
    agents: [
      { name: 'oracle', kind: 'oracle' },
      { name: 'noisy', kind: 'noisy', params: { epsilon: opts.epsilon ?? 0.3 } },
    ],
  });
  const dir = join(tempDir('hotmess-tui-'), 'run');
  await runScenario(await resolveScenario(spec, REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
  return dir;
}

/**
 * A run analysed part way and then resumed to completion, as `run`, then
 * `analyze`, then `run --resume` leave it: analysis.json describes the first
 * `before` rollouts and was written before the logs grew. (The stale file is
 * put back after the resume, whatever resume does with it.)
 */
export async function makeResumedRun(before = 5): Promise<{ dir: string; staleCount: number }> {
  const spec = parseScenario({ name: 'resumed', environment: 'maze', horizons: [4], instances: 2, rollouts: 4, seed: 3, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } }] });
  const scenario = await resolveScenario(spec, REGISTRY, null);
  const dir = join(tempDir('hotmess-resumed-'), 'run');
  let started = 0;
  const first = await runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test', shouldStop: () => (started++ >= before ? 'stopped for the test' : null) });
  if (first.status !== 'interrupted') throw new Error(`expected an interrupted first run, got ${first.status}`);
  const doc = await analyzeRun(dir, { resamples: 20 });
  writeAnalysis(dir, doc);
  const file = join(dir, 'analysis.json');
  const text = readFileSync(file, 'utf8');
  const { mtime } = statSync(file);
  const second = await runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test', resume: true });
  if (second.status !== 'finished') throw new Error(`expected the resumed run to finish, got ${second.status}`);
  writeFileSync(file, text);
  const earlier = new Date(mtime.getTime() - 10_000);
  utimesSync(file, earlier, earlier);
  return { dir, staleCount: doc.counts.rollouts };
}

/** Set the mtime of files to `when` (e.g. make logs older than analysis.json). */
export function setMtime(when: Date, ...files: string[]): void {
  for (const f of files) utimesSync(f, when, when);
}

export const readLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);

/** Per rollout of the group (by index), its actions as JSON text, from steps.jsonl alone. */
export function groupSequences(dir: string, group: string): string[][] {
  const members = readLines(join(dir, 'rollouts.jsonl'))
    .map((l) => JSON.parse(l) as { rollout: string; agent: string; horizon: number; instance: number; index: number; termination: string })
    .filter((r) => `${r.agent}:${r.horizon}:${r.instance}` === group && r.termination !== 'error')
    .sort((a, b) => a.index - b.index);
  const seqs = new Map<string, string[]>(members.map((m) => [m.rollout, []]));
  for (const l of readLines(join(dir, 'steps.jsonl'))) {
    const s = JSON.parse(l) as { rollout: string; t: number; action: unknown };
    const seq = seqs.get(s.rollout);
    if (seq) seq[s.t - 1] = JSON.stringify(s.action);
  }
  return members.map((m) => seqs.get(m.rollout)!);
}

/** Steps t where the number of distinct action prefixes a(1..t) grows (an ended rollout plays "END"). */
export function splitSteps(seqs: readonly string[][]): number[] {
  const T = Math.max(0, ...seqs.map((s) => s.length));
  const out: number[] = [];
  let before = 1;
  for (let t = 1; t <= T; t++) {
    const prefixes = new Set(seqs.map((s) => Array.from({ length: t }, (_, i) => (i < s.length ? s[i] : 'END')).join('|')));
    if (prefixes.size > before) out.push(t);
    before = prefixes.size;
  }
  return out;
}

/** Wait until `probe` returns a value (not undefined), polling; fail after `ms`. */
export async function waitFor<T>(probe: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
