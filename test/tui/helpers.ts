/**
 * Runs made with the real engine for the replay tests, and an independent
 * reading of where a group's rollouts split, straight from the JSONL files
 * (whole-prefix strings, no shared code with src/tui).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
