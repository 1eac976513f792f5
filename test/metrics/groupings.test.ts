import { describe, expect, it } from 'vitest';
import { aggregate, decomposeRows, ensembleClosedForm, ensembleDecomposition, ensembleSizes, equalCountBuckets, medianHalves } from '../../src/metrics/index.js';

describe('groupings', () => {
  it('splits into equal-count buckets by key', () => {
    const b = equalCountBuckets([7, 1, 6, 2, 5, 3, 4], (x) => x, 3);
    expect(b).toEqual([[1, 2], [3, 4], [5, 6, 7]]);
    expect(equalCountBuckets([2, 1], (x) => x, 5)).toEqual([[1], [2]]);
    expect(equalCountBuckets([], (x: number) => x, 5)).toEqual([]);
  });
  it('splits a group at its median length', () => {
    expect(medianHalves([5, 1, 3, 2])).toEqual({ short: [1, 3], long: [2, 0] });
    expect(medianHalves([4, 1, 9])).toEqual({ short: [1], long: [2] });
    expect(medianHalves([3, 3, 3])).toBeNull();
  });
  it('aggregates as means with incoherence a ratio of sums', () => {
    const a = aggregate([{ biasSq: 1, variance: 1, error: 2 }, null, { biasSq: 8, variance: 0, error: 8 }]);
    expect(a).toEqual({ biasSq: 4.5, variance: 0.5, error: 5, incoherence: 0.1, count: 2, floor: 0 });
  });
  it('ensembles disjoint blocks of E by their mean outcome', () => {
    expect(ensembleSizes(8)).toEqual([1, 2, 4]);
    expect(ensembleSizes(5)).toEqual([1, 2]);
    expect(ensembleSizes(1)).toEqual([]);
    // blocks (0,2) and (4,6) → means 1 and 5; target 3
    const d = ensembleDecomposition('squared', [0, 2, 4, 6], 4, 1, [3], 2)!;
    expect(d).toEqual({ biasSq: 0, variance: 4, error: 4 });
    expect(ensembleDecomposition('squared', [0, 2, 4], 3, 1, [3], 2)).toBeNull();
  });
  it('has the closed form V/(E·B² + V)', () => {
    expect(ensembleClosedForm(1, 2, 4)).toBeCloseTo(2 / 6, 12);
    expect(ensembleClosedForm(0, 0, 2)).toBeNull();
    expect(ensembleClosedForm(null, 1, 2)).toBeNull();
  });
  it('regression: keeps small-scale incoherence and the kl oracle’s null when aggregating', () => {
    const small = decomposeRows('squared', [[1e-5], [3e-5]], [0])!; // var 1e-10, error 5e-10
    expect(aggregate([small, small]).incoherence).toBeCloseTo(0.2, 9);
    expect(ensembleClosedForm(small.biasSq, small.variance, 1)).toBeCloseTo(0.2, 9);
    const oracle = decomposeRows('kl', [[0, 1], [0, 1]], [0, 1])!;
    const a = aggregate([oracle, oracle]);
    expect(a.incoherence).toBeNull();
    expect(a.floor).toBe(oracle.floor);
    expect(ensembleClosedForm(a.biasSq, a.variance, 2, a.floor)).toBeNull();
    // Identical members → identical ensemble means → no variance across ensembles.
    const e = ensembleDecomposition('squared', [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 8, 1, [0.3], 4)!;
    expect(e.variance).toBe(0);
  });
});
