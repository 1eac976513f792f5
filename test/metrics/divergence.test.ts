import { describe, expect, it } from 'vitest';
import { EntropyOfCounts, entropyBits, featureDivergence, hashDivergence, hazard, pairAgreement, prefixCurve } from '../../src/metrics/index.js';

describe('action agreement and entropy', () => {
  it('counts pairs that agree', () => {
    expect(pairAgreement([2, 1], 3)).toBeCloseTo(2 / 6, 12);
    expect(pairAgreement([3], 3)).toBe(1);
    expect(pairAgreement([1], 1)).toBeNull();
  });
  it('measures entropy in bits', () => {
    expect(entropyBits([2, 1], 3)).toBeCloseTo(-(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3), 12);
    expect(entropyBits([1, 1, 1, 1], 4)).toBeCloseTo(2, 12);
    expect(entropyBits([5], 5)).toBe(0);
  });
});

describe('entropy of many rows (EntropyOfCounts)', () => {
  it('is the same double as entropyBits, row after row, whatever n and the counts', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const e = new EntropyOfCounts();
    for (let k = 0; k < 2000; k++) {
      // n repeats for a while, then changes (the memo must follow it); k < 2000 rows of a few distinct counts.
      const n = 1 + ((k >> 4) % 40);
      const counts: number[] = [];
      let left = n;
      while (left > 0) {
        const c = 1 + rand(left);
        counts.push(c);
        left -= c;
      }
      // Noise past what a row counts: a zero, and sometimes a count that is not one of n (computed, not memoised).
      counts.push(0);
      if (k % 50 === 0) counts.push(n + 0.5, n + 3);
      const k2 = counts.length - (k % 3 === 0 ? 1 : 0);
      expect(e.bits(counts, k2, n)).toBe(entropyBits(counts.slice(0, k2), n));
    }
    expect(e.bits([1], 1, 0)).toBeNull();
  });
});

describe('survival by chained prefix', () => {
  it('matches hand-counted prefix classes, with END after a rollout ends', () => {
    const curve = prefixCurve([
      ['N', 'N', 'N'],
      ['N', 'N', 'E'],
      ['N', 'E', 'E'],
      ['N', 'N'],
    ]);
    expect(curve.map((c) => c.survival)).toEqual([1, 6 / 12, 0]);
    expect(curve.map((c) => c.distinctPrefixes)).toEqual([1, 2, 4]);
    expect(curve.map((c) => c.modalShare)).toEqual([1, 3 / 4, 1 / 4]);
  });
  it('keeps rollouts that ended together with the same prefix together', () => {
    const curve = prefixCurve([['a'], ['a'], ['a', 'b']]);
    expect(curve[1].survival).toBeCloseTo(2 / 6, 12);
  });
  it('equals classes counted from whole prefix strings, on seeded random groups', () => {
    let seed = 99;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let k = 0; k < 200; k++) {
      const n = 1 + rand(8);
      const seqs = Array.from({ length: n }, () => Array.from({ length: rand(10) }, () => 'abc'[rand(k % 2 ? 2 : 3)]));
      const T = Math.max(0, ...seqs.map((s) => s.length));
      const expected = Array.from({ length: T }, (_, i) => {
        const counts = new Map<string, number>();
        for (const s of seqs) {
          const key = Array.from({ length: i + 1 }, (_, j) => s[j] ?? 'END').join(',');
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        let pairs = 0;
        for (const c of counts.values()) pairs += c * (c - 1);
        return { survival: n < 2 ? null : pairs / (n * (n - 1)), distinctPrefixes: counts.size, modalShare: Math.max(...counts.values()) / n };
      });
      expect(prefixCurve(seqs)).toEqual(expected);
    }
  });
  it('never rejoins: a split prefix stays split even if later actions agree', () => {
    const curve = prefixCurve([
      ['x', 'y', 'z'],
      ['w', 'y', 'z'],
    ]);
    expect(curve.map((c) => c.survival)).toEqual([0, 0, 0]);
  });
});

describe('hazard', () => {
  it('is 1 − S(t)/S(t−1), null when S(t−1) = 0', () => {
    expect(hazard(1, 0.5)).toBe(0.5);
    expect(hazard(0.5, 0.5)).toBe(0);
    expect(hazard(0, 0)).toBeNull();
    expect(hazard(null, 1)).toBeNull();
  });
});

describe('state divergence', () => {
  it('with features equals the mean pairwise squared distance (2 Σ Var_j)', () => {
    const rows = [
      [0, 0],
      [1, 2],
      [3, 1],
      [-1, 4],
    ];
    let sum = 0;
    let pairs = 0;
    for (let i = 0; i < rows.length; i++)
      for (let j = 0; j < rows.length; j++) {
        if (i === j) continue;
        sum += (rows[i][0] - rows[j][0]) ** 2 + (rows[i][1] - rows[j][1]) ** 2;
        pairs++;
      }
    expect(featureDivergence(rows.flat(), 4, 2)).toBeCloseTo(sum / pairs, 12);
    expect(featureDivergence([1, 2], 1, 2)).toBeNull();
  });
  it('with hashes is the fraction of pairs that differ', () => {
    expect(hashDivergence([1, 1, 2])).toBeCloseTo(2 / 3, 12);
    expect(hashDivergence([7, 7])).toBe(0);
    expect(hashDivergence([7])).toBeNull();
  });
});

describe('regression: rounding noise reported as state divergence', () => {
  it('gives exactly 0 for identical feature rows', () => {
    // A plain column mean of (0.1, 0.1, 0.1) is 0.10000000000000002: D was ≈ 6e-34.
    expect(featureDivergence([0.1, 40.6, 0.1, 40.6, 0.1, 40.6], 3, 2)).toBe(0);
  });
  it('treats features that differ only in their last bits as equal, but not small real differences', () => {
    expect(featureDivergence([0.1 + 0.2, 0.3], 2, 1)).toBe(0);
    // rows 1 and 1 + 1e-9: 2·Var with n − 1 = (1e-9)²
    expect(featureDivergence([1, 1 + 1e-9], 2, 1)! / 1e-18).toBeCloseTo(1, 6);
    expect(featureDivergence([1e-20, 3e-20], 2, 1)! / 4e-40).toBeCloseTo(1, 9);
  });
});
