import { describe, expect, it } from 'vitest';
import { h50Observed, h50Predicted, passAtK, passCurve, passHatK, predictedAccuracy, stepAccuracy, taskAccuracy } from '../../src/metrics/index.js';

describe('pass^k and pass@k', () => {
  it('match C(c,k)/C(n,k) and 1 − C(n−c,k)/C(n,k)', () => {
    expect(passHatK(3, 5, 2)).toBeCloseTo(3 / 10, 12);
    expect(passHatK(3, 5, 3)).toBeCloseTo(1 / 10, 12);
    expect(passHatK(1, 5, 2)).toBe(0);
    expect(passAtK(3, 5, 2)).toBeCloseTo(1 - 1 / 10, 12);
    expect(passAtK(1, 5, 2)).toBeCloseTo(1 - 6 / 10, 12);
    expect(passAtK(0, 5, 3)).toBe(0);
    expect(passHatK(3, 5, 6)).toBeNull();
  });
  it('average over the groups with n ≥ k, for k up to min(max n, 8)', () => {
    const curve = passCurve(
      [
        { successes: 3, n: 5 },
        { successes: 1, n: 2 },
      ],
      passHatK,
    );
    expect(Object.keys(curve)).toEqual(['1', '2', '3', '4', '5']);
    expect(curve['1']).toBeCloseTo((0.6 + 0.5) / 2, 12);
    expect(curve['2']).toBeCloseTo((0.3 + 0) / 2, 12);
    expect(curve['3']).toBeCloseTo(0.1, 12);
    expect(Object.keys(passCurve([{ successes: 20, n: 20 }], passHatK))).toHaveLength(8);
  });
});

describe('accuracy over the horizon', () => {
  it('step accuracy, task accuracy A(t) and H50', () => {
    expect(stepAccuracy(9, 10)).toBe(0.9);
    expect(stepAccuracy(0, 0)).toBeNull();
    const A = taskAccuracy([2, Infinity, 1, 4], 4);
    expect(A).toEqual([0.75, 0.5, 0.5, 0.25]);
    expect(h50Observed(A)).toBe(4);
    expect(h50Observed([1, 0.6])).toBeNull();
    expect(h50Predicted(0.9)).toBeCloseTo(Math.log(0.5) / Math.log(0.9), 12);
    expect(h50Predicted(1)).toBeNull();
    expect(h50Predicted(null)).toBeNull();
    expect(predictedAccuracy(0.9, 3)).toBeCloseTo(0.729, 12);
  });
});
