import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.js';
import { bootstrapStandardError, clusterBootstrap, quantileSorted, type RatioStat } from '../../src/metrics/index.js';

const rows = [
  [1, 2],
  [0, 8],
  [3, 4],
  [2, 2],
  [1, 5],
];
const stats: RatioStat[] = [{ name: 'ratio', num: 0, den: 1 }];

describe('cluster bootstrap', () => {
  it('is deterministic given the seed', () => {
    const a = clusterBootstrap(rows, stats, 500, createRng('s1'));
    const b = clusterBootstrap(rows, stats, 500, createRng('s1'));
    const c = clusterBootstrap(rows, stats, 500, createRng('s2'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
  it('gives a ratio-of-sums interval inside the range of possible resamples around the estimate', () => {
    const iv = clusterBootstrap(rows, stats, 2000, createRng('x')).ratio!;
    const estimate = 7 / 21;
    expect(iv[0]).toBeLessThan(estimate);
    expect(iv[1]).toBeGreaterThan(estimate);
    // The most extreme resamples: all of the smallest or the largest cluster ratio.
    expect(iv[0]).toBeGreaterThanOrEqual(0);
    expect(iv[1]).toBeLessThanOrEqual(1);
  });
  it('collapses to the value when all clusters are equal, and is null with one cluster', () => {
    const same = clusterBootstrap([[1, 4], [1, 4], [1, 4]], stats, 100, createRng('x'));
    expect(same.ratio).toEqual([0.25, 0.25]);
    expect(clusterBootstrap([[1, 4]], stats, 100, createRng('x')).ratio).toBeNull();
  });
  it('leaves out resamples where the statistic is undefined', () => {
    const iv = clusterBootstrap([[0, 0], [0, 0]], [{ name: 'r', num: 0, den: 1 }], 50, createRng('x'));
    expect(iv.r).toBeNull();
  });
  it('leaves out resamples whose denominator is within the summed per-cluster floors', () => {
    // rows: num, den, floor. The second cluster alone has den 3 ≤ floor 4.
    const floored = clusterBootstrap([[1, 2, 0], [3, 3, 4]], [{ name: 'r', num: 0, den: 1, floor: 2 }], 200, createRng('x'));
    // Defined resamples: {0,0} → 0.5 and {0,1} → 4/5 (den 5 > floor 4); {1,1} (6 ≤ 8) is left out.
    expect(floored.r![0]).toBeCloseTo(0.5, 12);
    expect(floored.r![1]).toBeCloseTo(0.8, 12);
  });
  it('uses type-7 quantiles', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([5], 0.975)).toBe(5);
  });
});

describe('bootstrap standard error', () => {
  it('approaches the standard error of a mean, sd/√G', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const mean = (idx: Int32Array) => idx.reduce((s, i) => s + xs[i], 0) / idx.length;
    const se = bootstrapStandardError(xs.length, mean, 4000, createRng('se'))!;
    // Plug-in sd of 1..10 is √8.25; the bootstrap SE of the mean is that over √10.
    expect(se).toBeGreaterThan(0.9 * Math.sqrt(8.25 / 10));
    expect(se).toBeLessThan(1.1 * Math.sqrt(8.25 / 10));
    expect(bootstrapStandardError(1, mean, 100, createRng('se'))).toBeNull();
  });
});
