import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError } from '../../src/core/index.js';
import { forkRun, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { readManifest } from '../../src/log/index.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hotmess } from '../helpers/cli.js';
import { dropTiming, normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';

interface Step {
  rollout: string;
  t: number;
  action: unknown;
  state: string;
  replayed?: boolean;
}

const SPEC = {
  name: 'fork-src',
  environment: 'kv-sum',
  params: { dictSize: 16, keysPerStep: 1 },
  horizons: [12],
  instances: 2,
  rollouts: 2,
  seed: 7,
  agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.4 } }],
};

async function sourceRun(): Promise<string> {
  const dir = join(tempDir('hotmess-fork-'), 'src');
  const s = await resolveScenario(parseScenario(SPEC), REGISTRY, null);
  await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
  return dir;
}

const fork = (run: string, out: string, rollout = 'noisy:12:1:0', step = 5, samples = 6) =>
  forkRun({ run, rollout, step, samples, out, registry: REGISTRY, version: 'test' });

const byRollout = (steps: Step[]) => {
  const m = new Map<string, Step[]>();
  for (const s of steps) m.set(s.rollout, [...(m.get(s.rollout) ?? []), s]);
  for (const v of m.values()) v.sort((a, b) => a.t - b.t);
  return m;
};

describe('hotmess fork', () => {
  it('replays the first K steps identically in every sample, marks them replayed, and diverges after K', async () => {
    const run = await sourceRun();
    const out = join(tempDir('hotmess-fork-'), 'fork');
    const summary = await fork(run, out);
    expect(summary).toMatchObject({ status: 'finished', total: 6, ran: 6, fork: { sourceRollout: 'noisy:12:1:0', step: 5, samples: 6 } });

    const source = readJsonlFile<Step>(join(run, 'steps.jsonl')).filter((s) => s.rollout === 'noisy:12:1:0');
    source.sort((a, b) => a.t - b.t);
    const samples = byRollout(readJsonlFile<Step>(join(out, 'steps.jsonl')));
    expect([...samples.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `noisy:12:1:${i}`));
    for (const steps of samples.values()) {
      expect(steps.map((s) => s.t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      for (const s of steps.slice(0, 5)) {
        expect(s.replayed).toBe(true);
        // The prefix is the source rollout's own steps: same action, same state.
        expect({ action: s.action, state: s.state }).toEqual({ action: source[s.t - 1].action, state: source[s.t - 1].state });
      }
      for (const s of steps.slice(5)) expect(s.replayed).toBeUndefined();
    }
    // Continuations diverge: with ε = 0.4 over 7 steps, six samples do not all agree
    // (the chance that they do is below 1e-10).
    const tails = new Set([...samples.values()].map((steps) => JSON.stringify(steps.slice(5).map((s) => s.action))));
    expect(tails.size).toBeGreaterThan(1);

    const rollouts = readJsonlFile<{ rollout: string; instance: number; forkedAt: number; seeds: { env: string; agent: string } }>(join(out, 'rollouts.jsonl'));
    const src = readJsonlFile<{ rollout: string; seeds: { env: string; agent: string } }>(join(run, 'rollouts.jsonl')).find((r) => r.rollout === 'noisy:12:1:0')!;
    expect(rollouts).toHaveLength(6);
    for (const r of rollouts) {
      expect(r.instance).toBe(1);
      expect(r.forkedAt).toBe(5);
      expect(r.seeds.env).toBe(src.seeds.env);
    }
    expect(new Set(rollouts.map((r) => r.seeds.agent)).size).toBe(6);
    expect(rollouts.map((r) => r.seeds.agent)).not.toContain(src.seeds.agent);

    const m = readManifest(out);
    expect(m).toMatchObject({ status: 'finished', source: 'hotmess fork', horizons: [12], rollouts: 6, expectedRollouts: 6 });
    expect(m.fork).toMatchObject({ sourceRun: run, sourceRollout: 'noisy:12:1:0', step: 5, samples: 6 });

    // Analysis splits divergence at K: none inherited (shared prefix), the rest created after.
    // S(T) by hand: pairs of samples whose whole action sequences agree, over N(N−1)/2 pairs.
    const seqs = [...samples.values()].map((steps) => JSON.stringify(steps.map((s) => s.action)));
    let same = 0;
    for (let i = 0; i < seqs.length; i++) for (let j = i + 1; j < seqs.length; j++) if (seqs[i] === seqs[j]) same++;
    const doc = await analyzeRun(out);
    expect(doc.fork).toMatchObject({ sourceRollout: 'noisy:12:1:0', step: 5, survivalAtFork: 1, inherited: 0 });
    expect(doc.fork!.survivalFinal).toBeCloseTo(same / 15, 12);
    expect(doc.fork!.createdAfter).toBeCloseTo(1 - same / 15, 12);
  });

  it('is deterministic: the same fork twice gives identical logs apart from timing', async () => {
    const run = await sourceRun();
    const a = join(tempDir('hotmess-fork-'), 'a');
    const b = join(tempDir('hotmess-fork-'), 'b');
    await fork(run, a, 'noisy:12:0:1', 3, 4);
    await fork(run, b, 'noisy:12:0:1', 3, 4);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(b, f))).toEqual(normalisedLines(join(a, f)));
    const strip = (dir: string) => dropTiming({ ...JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), fork: null });
    expect(strip(b)).toEqual(strip(a));
  });

  it('forks at K = 0 (fresh samples of the same instance) and at K = length (the whole rollout replayed)', async () => {
    const run = await sourceRun();
    const zero = join(tempDir('hotmess-fork-'), 'zero');
    await fork(run, zero, 'noisy:12:0:0', 0, 2);
    expect(readJsonlFile<Step>(join(zero, 'steps.jsonl')).some((s) => s.replayed)).toBe(false);
    const all = join(tempDir('hotmess-fork-'), 'all');
    await fork(run, all, 'noisy:12:0:0', 12, 2);
    const steps = readJsonlFile<Step>(join(all, 'steps.jsonl'));
    expect(steps).toHaveLength(24);
    expect(steps.every((s) => s.replayed === true)).toBe(true);
  });

  it('refuses an unknown rollout, a step beyond the rollout, a missing run and a used --out, each in one line', async () => {
    const run = await sourceRun();
    const out = () => join(tempDir('hotmess-fork-'), 'out');
    const oneLine = async (p: Promise<unknown>, re: RegExp) => {
      const e = await p.then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(HotmessError);
      expect((e as Error).message).toMatch(re);
      expect((e as Error).message).not.toContain('\n');
    };
    await oneLine(fork(run, out(), 'noisy:12:9:0'), /no rollout "noisy:12:9:0".*ids look like noisy:12:/);
    await oneLine(fork(run, out(), 'noisy:12:0:0', 13), /--step 13: rollout "noisy:12:0:0" has only 12 steps/);
    await oneLine(fork(join(run, 'nope'), out()), /nope: not a run directory/);
    await oneLine(fork(run, out(), 'noisy:12:0:0', 2, 0), /--samples/);
    await oneLine(fork(run, run), /a run already exists here/);
  });

  it('refuses a log the environment no longer reproduces', async () => {
    const run = await sourceRun();
    // Tamper with a logged action in the prefix: replaying it gives another state hash.
    const path = join(run, 'steps.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('{"rollout":"noisy:12:0:0","t":2,'));
    const rec = JSON.parse(lines[i]);
    rec.action = (rec.action as number) + 1;
    lines[i] = JSON.stringify(rec);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, lines.join('\n'));
    const e = await fork(run, join(tempDir('hotmess-fork-'), 'out'), 'noisy:12:0:0', 4, 2).then(() => null, (x: unknown) => x);
    expect((e as Error).message).toMatch(/diverges from its log at step 2/);
  });

  it('runs from the CLI', async () => {
    const run = await sourceRun();
    const out = join(tempDir('hotmess-fork-'), 'cli');
    const ok = await hotmess('fork', run, '--rollout', 'noisy:12:0:1', '--step', '4', '--samples', '3', '--out', out);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/fork written to .* 3 continuations of noisy:12:0:1 after step 4/);
    expect(readJsonlFile(join(out, 'rollouts.jsonl'))).toHaveLength(3);
    const bad = await hotmess('fork', run, '--rollout', 'noisy:12:0:1', '--step', 'x', '--samples', '3');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('hotmess: --step: expected an integer ≥ 0, got "x"');
  });
});
