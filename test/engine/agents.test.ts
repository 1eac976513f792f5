/**
 * Each scripted agent's planted behaviour shows up in the logs, within
 * binomial tolerance (4 standard errors: a false alarm about 1 in 16,000).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

const fixtureFile = join(process.cwd(), 'test', 'fixtures', 'scenario.yaml');
type Step = { rollout: string; t: number; action: string; oracle: string };

async function steps(agent: Record<string, unknown>, horizon = 50, rollouts = 40): Promise<Step[]> {
  const spec = parseScenario({ name: 'rates', environment: './choice-env.ts', horizons: [horizon], instances: 1, rollouts, seed: 3, agents: [{ name: 'x', ...agent }] });
  const dir = join(tempDir(), 'run');
  await runScenario(await resolveScenario(spec, REGISTRY, fixtureFile), { out: dir, registry: REGISTRY, version: 'test' });
  return readJsonlFile<Step>(join(dir, 'steps.jsonl'));
}

const withinBinomial = (hits: number, n: number, p: number) => {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(hits / n - p)).toBeLessThanOrEqual(4 * se + 1e-12);
};

describe('planted rates', () => {
  it('oracle never errs', async () => {
    const s = await steps({ kind: 'oracle' }, 20, 5);
    expect(s.every((x) => x.action === x.oracle)).toBe(true);
  });

  it('noisy: error rate epsilon, errors uniform over the other m−1 actions', async () => {
    const eps = 0.2;
    const s = await steps({ kind: 'noisy', params: { epsilon: eps } });
    const errors = s.filter((x) => x.action !== x.oracle);
    withinBinomial(errors.length, s.length, eps);
    // Uniform over the 3 wrong letters: each gets 1/3 of the errors.
    const offset = (x: Step) => (x.action.charCodeAt(0) - x.oracle.charCodeAt(0) + 4) % 4;
    for (const k of [1, 2, 3]) withinBinomial(errors.filter((x) => offset(x) === k).length, errors.length, 1 / 3);
  });

  it('random: each of the m actions with probability 1/m', async () => {
    const s = await steps({ kind: 'random' });
    withinBinomial(s.filter((x) => x.action === x.oracle).length, s.length, 1 / 4);
  });

  it('self-conditioning: the error rate after k own errors is epsilon0 + growth·k', async () => {
    const [e0, g] = [0.05, 0.1];
    const s = await steps({ kind: 'self-conditioning', params: { epsilon0: e0, growth: g } }, 40, 200);
    const byK = new Map<number, { n: number; err: number }>();
    const errorsSoFar = new Map<string, number>();
    for (const x of s) {
      const k = errorsSoFar.get(x.rollout) ?? 0;
      const cell = byK.get(k) ?? { n: 0, err: 0 };
      cell.n++;
      if (x.action !== x.oracle) {
        cell.err++;
        errorsSoFar.set(x.rollout, k + 1);
      }
      byK.set(k, cell);
    }
    for (const k of [0, 1, 2]) {
      const cell = byK.get(k)!;
      withinBinomial(cell.err, cell.n, Math.min(0.9, e0 + g * k));
    }
  });

  it('biased: the same deviations in every rollout, at about `rate` of states', async () => {
    const s = await steps({ kind: 'biased', params: { rate: 0.3 } }, 60, 5);
    const byRollout = new Map<string, string[]>();
    for (const x of s) byRollout.set(x.rollout, [...(byRollout.get(x.rollout) ?? []), x.action]);
    const seqs = [...byRollout.values()].map((a) => a.join(''));
    expect(new Set(seqs).size).toBe(1);
    const first = s.filter((x) => x.rollout.endsWith(':0'));
    withinBinomial(first.filter((x) => x.action !== x.oracle).length, first.length, 0.3);
  });

  it('ensemble: majority of 3 noisy samples is right with the closed-form probability', async () => {
    const eps = 0.4;
    const s = await steps({ kind: 'ensemble', params: { inner: { kind: 'noisy', params: { epsilon: eps } }, samples: 3 } });
    // c ~ Bin(3, 1−ε) right samples. c ≥ 2: right. c = 1: the two wrong ones differ with
    // probability 2/3, leaving a three-way tie won by the earliest draw, right with probability 1/3.
    const p = 1 - eps;
    const pc1 = 3 * p * eps * eps;
    const pRight = p ** 3 + 3 * p * p * eps + pc1 * (2 / 3) * (1 / 3);
    withinBinomial(s.filter((x) => x.action === x.oracle).length, s.length, pRight);
  });
  it('drifting: the error rate at step t is min(epsilon0 + slope·(t−1), cap)', async () => {
    const [e0, slope, cap] = [0.02, 0.02, 0.5];
    const s = await steps({ kind: 'drifting', params: { epsilon0: e0, slope, cap } }, 40, 150);
    // Four blocks of ten steps; in each, errors ~ Bin(n, mean ε over the block).
    for (let b = 0; b < 4; b++) {
      const block = s.filter((x) => x.t > 10 * b && x.t <= 10 * (b + 1));
      const mean = Array.from({ length: 10 }, (_, i) => Math.min(e0 + slope * (10 * b + i), cap)).reduce((a, c) => a + c, 0) / 10;
      withinBinomial(block.filter((x) => x.action !== x.oracle).length, block.length, mean);
    }
    // Past the cap (t > 25) the rate is flat at 0.5.
    const capped = s.filter((x) => x.t > 25);
    withinBinomial(capped.filter((x) => x.action !== x.oracle).length, capped.length, cap);
  });

  it('mixed: with rate 0 it takes exactly the noisy actions, with epsilon 0 exactly the biased ones', async () => {
    const seq = (xs: Step[]) => xs.map((x) => `${x.rollout}@${x.t}=${x.action}`).join(' ');
    expect(seq(await steps({ kind: 'mixed', params: { rate: 0, epsilon: 0.3 } }, 20, 6))).toBe(seq(await steps({ kind: 'noisy', params: { epsilon: 0.3 } }, 20, 6)));
    expect(seq(await steps({ kind: 'mixed', params: { rate: 0.3, epsilon: 0 } }, 20, 6))).toBe(seq(await steps({ kind: 'biased', params: { rate: 0.3 } }, 20, 6)));
  });

  it('mixed: deviates at a fraction `rate` of questions, the same in every rollout, and errs at rate epsilon elsewhere', async () => {
    const [rate, eps, H, N] = [0.2, 0.15, 10, 12];
    const spec = parseScenario({ name: 'mixed', environment: 'quiz', horizons: [H], instances: 60, rollouts: N, seed: 5, agents: [{ name: 'x', kind: 'mixed', params: { rate, epsilon: eps } }] });
    const dir = join(tempDir(), 'run');
    await runScenario(await resolveScenario(spec, REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
    const s = readJsonlFile<Step>(join(dir, 'steps.jsonl'));
    // Quiz states do not depend on earlier answers, so a question either draws the fixed
    // deviation (the next letter) in all N rollouts, or independent noise.
    const byQuestion = new Map<string, Step[]>();
    for (const x of s) {
      const key = `${x.rollout.split(':')[2]}@${x.t}`;
      byQuestion.set(key, [...(byQuestion.get(key) ?? []), x]);
    }
    const next = (a: string) => 'ABCD'[('ABCD'.indexOf(a) + 1) % 4];
    const deviating = [...byQuestion.values()].filter((xs) => xs.every((x) => x.action === next(x.oracle)));
    withinBinomial(deviating.length, byQuestion.size, rate);
    const rest = [...byQuestion.values()].filter((xs) => !deviating.includes(xs)).flat();
    withinBinomial(rest.filter((x) => x.action !== x.oracle).length, rest.length, eps);
  });
});
