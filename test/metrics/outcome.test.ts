import { describe, expect, it } from 'vitest';
import { aggregate, correct, decomposeRows, errorFloor, incoherence, zeroOne, type OutcomeKind } from '../../src/metrics/index.js';

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
  it('handles a zero in the first row when δ = 0 (the geometric mean is 0 there too)', () => {
    // p̃ = (1, 0); KL(p̃ ‖ p̂_r) = −log p_r[0]: 0 and log 2
    const d = decomposeRows('kl', [[1, 0], [0.5, 0.5]], [1, 0], { klDelta: 0 })!;
    close(d.variance, Math.log(2) / 2);
    close(d.error, Math.log(2) / 2);
    close(d.biasSq, 0);
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
    close(aggregate([{ variance: 1, error: 2 }, { variance: 0, error: 8 }]).incoherence!, 0.1);
  });
  it('is null when the total error is zero, 0 for pure bias, 1 for pure variance', () => {
    expect(incoherence(0, 0)).toBeNull();
    expect(incoherence(0, 2)).toBe(0);
    expect(incoherence(2, 2)).toBe(1);
  });
});

describe('regression: rounding noise reported as real variance', () => {
  // (0.1 + 0.1 + 0.1) / 3 = 0.10000000000000002: a plain column mean is off by
  // an ulp, which made identical rollouts show Var ≈ 1e-34 and incoherence ≈ 1e-32.
  it('gives exactly zero variance for identical rows of every kind', () => {
    const sq = decomposeRows('squared', [[0.1], [0.1], [0.1]], [0.3])!;
    expect(sq.variance).toBe(0);
    close(sq.biasSq, 0.04);
    close(sq.error, 0.04);
    expect(incoherence(sq.variance, sq.error, sq.floor)).toBe(0);
    const p = [0.7, 0.2, 0.1];
    const brier = decomposeRows('brier', [p, p, p], [1, 0, 0])!;
    expect(brier.variance).toBe(0);
    close(brier.biasSq, 0.09 + 0.04 + 0.01);
    const kl = decomposeRows('kl', [p, p, p], [1, 0, 0])!;
    expect(kl.variance).toBe(0);
    expect(kl.biasSq).toBe(kl.error);
    close(kl.error, -Math.log((0.7 + 1e-12) / (1 + 3e-12)));
    const cov = decomposeRows('coverage', [[1, 0, 1], [1, 0, 1], [1, 0, 1]], [1, 1, 1])!;
    expect(cov.variance).toBe(0);
    close(cov.error, 1 / 3);
  });
  it('gives exactly zero error, bias² and variance for identical rows on their target', () => {
    const row = [0.1, 19.5, 40.6];
    expect(decomposeRows('squared', [row, row, row], row)).toEqual({ biasSq: 0, variance: 0, error: 0 });
  });
});

/** One oracle group per kind: every rollout gives the target itself. */
const ORACLES: [OutcomeKind, number[]][] = [
  ['squared', [0.1, 19.5, -3]],
  ['brier', [0, 1, 0]],
  ['kl', [0, 1, 0]],
  ['coverage', [1, 1, 1, 1]],
];

describe('regression: absolute ERROR_FLOOR made real small-scale incoherence null', () => {
  it('gives incoherence for errors of any size above zero', () => {
    // rows 1e-5 and 3e-5 against 0: bias² 4e-10, var 1e-10, error 5e-10
    const d = decomposeRows('squared', [[1e-5], [3e-5]], [0])!;
    close(d.error, 5e-10, 1e-22);
    close(incoherence(d.variance, d.error, d.floor)!, 0.2, 1e-9);
    close(aggregate([d, d]).incoherence!, 0.2, 1e-9);
    close(incoherence(7e-10, 8e-10)!, 7 / 8);
  });
  it('keeps the oracle’s incoherence null under every kind (spec F)', () => {
    for (const [kind, target] of ORACLES) {
      const d = decomposeRows(kind, [target, target, target, target], target)!;
      expect(d.variance, kind).toBe(0);
      if (kind === 'kl') {
        // δ-smoothing leaves an error of about (C − 1)δ, inside the kl floor.
        close(d.error, 2e-12, 1e-14);
        expect(d.error).toBeLessThanOrEqual(d.floor!);
      } else expect(d.error, kind).toBe(0);
      expect(incoherence(d.variance, d.error, d.floor), kind).toBeNull();
      expect(aggregate([d, d, d]).incoherence, kind).toBeNull();
    }
  });
  it('derives the kl floor from δ and C, and a real kl error stays far above it', () => {
    expect(errorFloor('squared', 5)).toBe(0);
    expect(errorFloor('brier', 5)).toBe(0);
    expect(errorFloor('coverage', 5)).toBe(0);
    close(errorFloor('kl', 3, 1e-12), 30 * (1e-12 + Number.EPSILON), 1e-20);
    // 999 correct one-hot answers and one that gives gold 0.999
    const rows = [...Array.from({ length: 999 }, () => [1, 0, 0]), [0.999, 0.001, 0]];
    const d = decomposeRows('kl', rows, [1, 0, 0])!;
    expect(d.error).toBeGreaterThan(1e3 * d.floor!);
    expect(incoherence(d.variance, d.error, d.floor)).toBeGreaterThan(0);
  });
});

describe('regression: N = 1 gave no error', () => {
  it('computes Error = mean ‖y − y*‖² from one rollout', () => {
    const d = decomposeRows('squared', [[3, 1]], [1, 1])!;
    expect(d.error).toBe(4);
  });
});
