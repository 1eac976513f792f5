import { describe, expect, it } from 'vitest';
import { correct, decomposeRows, incoherence, pooledIncoherence, zeroOne } from '../../src/metrics/index.js';

const close = (a: number | null | undefined, b: number, eps = 1e-12) => expect(a).toBeCloseTo(b, -Math.log10(eps));

describe('squared (B1)', () => {
  it('matches hand values on scalars', () => {
    // mean 3, target 2: bias² 1, var (4+1+0+9)/4, error (1+0+1+16)/4
    const d = decomposeRows('squared', [[1], [2], [3], [6]], [2])!;
    close(d.biasSq, 1);
    close(d.variance, 3.5);
    close(d.error, 4.5);
  });
  it('matches hand values on vectors, and Error = Bias² + Var', () => {
    // rows (0,0), (2,4); mean (1,2); target (1,0)
    const d = decomposeRows('squared', [[0, 0], [2, 4]], [1, 0])!;
    close(d.biasSq, 4); // (0)² + (2)²
    close(d.variance, 5); // ((1+4) + (1+4)) / 2
    close(d.error, 9); // ((1+0) + (1+16)) / 2
    close(d.error, d.biasSq + d.variance);
  });
  it('is null for no rollouts', () => {
    expect(decomposeRows('squared', [], [1])).toBeNull();
  });
});

describe('brier (B2) with probability vectors', () => {
  it('matches hand values', () => {
    const d = decomposeRows('brier', [[0.7, 0.2, 0.1], [0.4, 0.4, 0.2]], [1, 0, 0])!;
    // p̄ = (0.55, 0.3, 0.15)
    close(d.biasSq, 0.45 ** 2 + 0.3 ** 2 + 0.15 ** 2);
    close(d.variance, 0.15 ** 2 + 0.1 ** 2 + 0.05 ** 2);
    close(d.error, ((0.3 ** 2 + 0.2 ** 2 + 0.1 ** 2) + (0.6 ** 2 + 0.4 ** 2 + 0.2 ** 2)) / 2);
    close(d.error, d.biasSq + d.variance);
  });
});

describe('kl (B3) with probability vectors', () => {
  it('matches the closed form around the geometric mean (δ → 0)', () => {
    const d = decomposeRows('kl', [[0.5, 0.5], [0.8, 0.2]], [1, 0], { klDelta: 0 })!;
    // p̃ ∝ (√(0.5·0.8), √(0.5·0.2)) = (2/3, 1/3) after normalising
    const pt = [2 / 3, 1 / 3];
    const kl = (p: number[]) => pt[0] * Math.log(pt[0] / p[0]) + pt[1] * Math.log(pt[1] / p[1]);
    close(d.error, -(Math.log(0.5) + Math.log(0.8)) / 2);
    close(d.biasSq, -Math.log(2 / 3));
    close(d.variance, (kl([0.5, 0.5]) + kl([0.8, 0.2])) / 2);
    close(d.error, d.biasSq + d.variance);
  });
  it('smooths zeros with δ so one-hot answers stay finite', () => {
    const delta = 1e-6;
    const d = decomposeRows('kl', [[1, 0, 0], [0, 1, 0]], [1, 0, 0], { klDelta: delta })!;
    const hi = (1 + delta) / (1 + 3 * delta);
    const lo = delta / (1 + 3 * delta);
    close(d.error, -(Math.log(hi) + Math.log(lo)) / 2, 1e-9);
    close(d.error, d.biasSq + d.variance, 1e-9);
    expect(Number.isFinite(d.error)).toBe(true);
  });
  it('gives zero variance when every rollout answers the same distribution', () => {
    const d = decomposeRows('kl', [[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]], [0, 1], { klDelta: 0 })!;
    close(d.variance, 0);
    close(d.biasSq, -Math.log(0.4));
  });
});

describe('coverage (B4)', () => {
  it('matches hand values with T = 3', () => {
    const d = decomposeRows('coverage', [[1, 0, 1], [1, 1, 0]], [1, 1, 1])!;
    close(d.biasSq, (0 + 0.25 + 0.25) / 3);
    close(d.variance, (0.25 * 4) / 6);
    close(d.error, 2 / 6);
    close(d.error, d.biasSq + d.variance);
  });
  it('is success/failure when T = 1', () => {
    const d = decomposeRows('coverage', [[1], [0], [0], [1]], [1])!;
    close(d.biasSq, 0.25);
    close(d.variance, 0.25);
    close(d.error, 0.5);
  });
});

describe('zeroOne (B5)', () => {
  it('is bias 1 when the mode is wrong, variance the share off the mode', () => {
    expect(zeroOne(['a', 'a', 'b'], 'a')).toEqual({ bias: 0, variance: 1 / 3 });
    expect(zeroOne(['a', 'a', 'b'], 'b')).toEqual({ bias: 1, variance: 1 / 3 });
    expect(zeroOne(['b', 'a'], 'a')).toEqual({ bias: 0, variance: 0.5 }); // tie → smallest key
    expect(zeroOne([], 'a')).toBeNull();
  });
});

describe('finite-sample correction', () => {
  it('gives Var_u = N·Var/(N−1) and Bias²_u = Bias² − Var_u/N', () => {
    const c = correct({ biasSq: 1, variance: 3.5, error: 4.5 }, 4)!;
    close(c.variance, 14 / 3);
    close(c.biasSq, 1 - 14 / 12);
    expect(correct({ biasSq: 1, variance: 0, error: 1 }, 1)).toBeNull();
  });
});

describe('incoherence', () => {
  it('is a ratio of sums, not a mean of ratios', () => {
    close(pooledIncoherence([{ variance: 1, error: 2 }, { variance: 0, error: 8 }])!, 0.1);
  });
  it('is null when the total error is zero, 0 for pure bias, 1 for pure variance', () => {
    expect(incoherence(0, 0)).toBeNull();
    expect(incoherence(0, 2)).toBe(0);
    expect(incoherence(2, 2)).toBe(1);
  });
});
