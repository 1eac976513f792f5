/**
 * The paper's groupings (spec D): length buckets, median split and
 * ensembling, plus the ensembling closed form. Pure.
 */
import { decompose, type DecomposeOptions, type Decomposition, type OutcomeKind } from './outcome.js';
import { incoherence } from './incoherence.js';

export interface Aggregate {
  readonly biasSq: number | null;
  readonly variance: number | null;
  readonly error: number | null;
  readonly incoherence: number | null;
}

/** What `aggregate` pools: a decomposition, or variance and error alone (then bias² stays null). */
export type AggregateItem = Omit<Decomposition, 'biasSq'> & { readonly biasSq?: number };

/**
 * Means over the decompositions, incoherence as a ratio of sums (spec B):
 * the one place Σ Var / Σ Error over groups is formed. Nulls are skipped.
 * `floor` is the mean per-group error floor (see `errorFloor`); bias² is
 * the mean over the items that carry one.
 */
export function aggregate(items: readonly (AggregateItem | null)[]): Aggregate & { count: number; floor: number } {
  let b = 0;
  let kb = 0;
  let v = 0;
  let e = 0;
  let f = 0;
  let k = 0;
  for (const it of items) {
    if (!it) continue;
    if (it.biasSq !== undefined) {
      b += it.biasSq;
      kb++;
    }
    v += it.variance;
    e += it.error;
    f += it.floor ?? 0;
    k++;
  }
  if (k === 0) return { biasSq: null, variance: null, error: null, incoherence: null, count: 0, floor: 0 };
  return { biasSq: kb > 0 ? b / kb : null, variance: v / k, error: e / k, incoherence: incoherence(v, e, f), count: k, floor: f / k };
}

/**
 * Split items into B equal-count buckets by a key, ascending (ties keep
 * input order). Bucket i holds the items ranked [⌊iG/B⌋, ⌊(i+1)G/B⌋).
 * Fewer items than buckets gives one bucket per item.
 */
export function equalCountBuckets<T>(items: readonly T[], key: (item: T) => number, buckets: number): T[][] {
  const sorted = items
    .map((item, i) => ({ item, i, k: key(item) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
  const B = Math.max(1, Math.min(buckets, sorted.length));
  const out: T[][] = [];
  for (let i = 0; i < B; i++) out.push(sorted.slice(Math.floor((i * sorted.length) / B), Math.floor(((i + 1) * sorted.length) / B)));
  return sorted.length === 0 ? [] : out;
}

/**
 * Median split of one group: indices of the shorter half and the longer half
 * (⌊n/2⌋ each, the middle rollout of an odd group left out). Null when all
 * lengths are equal: such a group has no length contrast to split on.
 */
export function medianHalves(lengths: readonly number[]): { short: number[]; long: number[] } | null {
  const n = lengths.length;
  if (n < 2) return null;
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  if (lengths[order[0]] === lengths[order[n - 1]]) return null;
  const h = Math.floor(n / 2);
  return { short: order.slice(0, h), long: order.slice(n - h) };
}

/** Ensemble sizes E = 1, 2, 4, … while at least two disjoint ensembles of size E fit in n. */
export function ensembleSizes(n: number): number[] {
  const out: number[] = [];
  for (let e = 1; Math.floor(n / e) >= 2; e *= 2) out.push(e);
  return out;
}

/**
 * Decomposition across the ⌊n/E⌋ disjoint ensembles of consecutive rows;
 * an ensemble's outcome is the mean of its members' vectors. Null when
 * fewer than two ensembles fit.
 */
export function ensembleDecomposition(
  kind: OutcomeKind,
  values: ArrayLike<number>,
  n: number,
  d: number,
  target: ArrayLike<number>,
  E: number,
  options?: DecomposeOptions,
): Decomposition | null {
  const M = Math.floor(n / E);
  if (M < 2) return null;
  const means = new Float64Array(M * d);
  for (let m = 0; m < M; m++) {
    for (let e = 0; e < E; e++) for (let j = 0; j < d; j++) means[m * d + j] += values[(m * E + e) * d + j];
    for (let j = 0; j < d; j++) means[m * d + j] /= E;
  }
  return decompose(kind, means, M, d, target, options);
}

/**
 * INCOH(E) = V/(E·B² + V) from the single-sample B² and V; null when the
 * ensemble's error B² + V/E is at or below the per-group `floor` (0 unless kl).
 */
export function ensembleClosedForm(biasSq: number | null, variance: number | null, E: number, floor = 0): number | null {
  if (biasSq === null || variance === null) return null;
  const den = E * biasSq + variance;
  return den > E * floor ? variance / den : null;
}
