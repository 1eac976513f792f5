/**
 * Error injection (fork --inject-rate R, metrics spec H3) through the real
 * engine on quiz, whose questions do not depend on earlier answers: each
 * replayed step is wrong with probability R + (1 − R)·[the source erred
 * there], the state follows the injected actions, and a memoryless noisy
 * agent's accuracy after K is 1 − ε whatever R (slope 0). Also the
 * `injection` command's page and plot, and its errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { injectionSummary } from '../../src/analysis/index.js';
import { forkRun, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { readManifest } from '../../src/log/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hotmess } from '../helpers/cli.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

type Step = { rollout: string; t: number; action: string; oracle: string; state: string };
const EPS = 0.1;
const K = 20;
const M = 60;

describe('fork --inject-rate', async () => {
  const root = tempDir('hotmess-inject-');
  const src = join(root, 'src');
  const spec = parseScenario({ name: 'inj', environment: 'quiz', horizons: [40], instances: 1, rollouts: 1, seed: 3, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: EPS } }] });
  await runScenario(await resolveScenario(spec, REGISTRY, null), { out: src, registry: REGISTRY, version: 'test' });
  const srcSteps = readJsonlFile<Step>(join(src, 'steps.jsonl'));
  const srcWrong = new Set(srcSteps.filter((s) => s.t <= K && s.action !== s.oracle).map((s) => s.t));
  const forks = new Map<number, string>();
  for (const rate of [0, 0.5, 1]) {
    const out = join(root, `f${rate}`);
    await forkRun({ run: src, rollout: 'noisy:40:0:0', step: K, samples: M, out, registry: REGISTRY, version: 'test', injectRate: rate });
    forks.set(rate, out);
  }
  const within = (hits: number, n: number, p: number) => expect(Math.abs(hits / n - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n) + 1e-12);

  it('replaces each replayed action by a wrong legal one at rate R, and the state follows', () => {
    for (const [rate, dir] of forks) {
      const steps = readJsonlFile<Step>(join(dir, 'steps.jsonl'));
      const prefix = steps.filter((s) => s.t <= K);
      expect(prefix).toHaveLength(K * M);
      // Quiz: the state after step t is (instance, t) whatever was answered, and the oracle is the key.
      const fresh = prefix.filter((s) => !srcWrong.has(s.t));
      const kept = prefix.filter((s) => srcWrong.has(s.t));
      expect(kept.every((s) => s.action !== s.oracle)).toBe(true);
      within(fresh.filter((s) => s.action !== s.oracle).length, fresh.length, rate);
      const inject = readManifest(dir).fork as { inject: { rate: number; injected: number[] } };
      expect(inject.inject.rate).toBe(rate);
      // The manifest's count per continuation: every fresh error of its prefix, plus any injection at a step the source already got wrong.
      inject.inject.injected.forEach((n, i) => {
        const freshErrors = fresh.filter((s) => s.rollout === `noisy:40:0:${i}` && s.action !== s.oracle).length;
        expect(n).toBeGreaterThanOrEqual(freshErrors);
        expect(n).toBeLessThanOrEqual(freshErrors + srcWrong.size);
      });
    }
  });

  it('a memoryless agent’s accuracy after K is 1 − ε at every R: slope 0 within its interval', async () => {
    const s = await injectionSummary([...forks.values()]);
    expect(s.points.map((p) => p.rate)).toEqual([0, 0.5, 1]);
    for (const p of s.points) {
      expect(p.steps).toBe((40 - K) * M);
      within(Math.round(p.accuracyAfter! * p.steps), p.steps, 1 - EPS);
      expect(p.ci![0]).toBeLessThanOrEqual(p.accuracyAfter!);
      expect(p.ci![1]).toBeGreaterThanOrEqual(p.accuracyAfter!);
    }
    expect(s.ci.slope![0]).toBeLessThanOrEqual(0);
    expect(s.ci.slope![1]).toBeGreaterThanOrEqual(0);
  });

  it('the injection command prints the table and writes its page and plot; refuses a fork made without injection', async () => {
    const out = join(root, 'page');
    const r = await hotmess('injection', ...forks.values(), '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/slope of p̂ after K against R: /);
    expect(readFileSync(join(out, 'injection.md'), 'utf8')).toMatch(/\| 0\.5 \| 20 \| 60 \|/);
    expect(existsSync(join(out, 'plots', 'injection.svg'))).toBe(true);
    const plain = join(root, 'plain');
    await forkRun({ run: src, rollout: 'noisy:40:0:0', step: 5, samples: 2, out: plain, registry: REGISTRY, version: 'test' });
    const bad = await hotmess('injection', plain);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/manifest\.json: not a fork made with --inject-rate/);
    const range = await hotmess('fork', src, '--rollout', 'noisy:40:0:0', '--step', '5', '--samples', '2', '--inject-rate', '1.5', '--out', join(root, 'x'));
    expect(range.status).toBe(2);
    expect(range.stderr).toMatch(/--inject-rate: expected a probability in \[0, 1\], got "1\.5"/);
  });
});
