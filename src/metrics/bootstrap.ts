/**
 * Cluster bootstrap (spec E): resample environment instances (clusters)
 * with replacement and recompute ratio-of-sums statistics. Pure given the
 * Rng; the same seed gives the same intervals.
 */
import type { Rng } from '../core/index.js';

/** A statistic Σ row[num] / Σ row[den] over the resampled clusters. */
export interface RatioStat {
  readonly name: string;
  readonly num: number;
  readonly den: number;
  /** The statistic is undefined when Σ den ≤ minDen (default 0)… */
  readonly minDen?: number;
  /** …or, when given, ≤ Σ row[floor] over the same resampled clusters (per-cluster floors). */
  readonly floor?: number;
}

export type Interval = [number, number];

export const DEFAULT_RESAMPLES = 1000;

/** Type-7 (linear interpolation) quantile of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 1) return sorted[0];
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile intervals at `level` for each statistic. Rows are clusters, one
 * number per column. Null for a statistic when there are fewer than 2
 * clusters (one instance has no between-instance spread to resample) or
 * when no resample defines it.
 */
export function clusterBootstrap(
  rows: readonly ArrayLike<number>[],
  stats: readonly RatioStat[],
  resamples: number,
  rng: Rng,
  level = 0.95,
): Record<string, Interval | null> {
  const out: Record<string, Interval | null> = {};
  const G = rows.length;
  if (G < 2 || resamples < 1) {
    for (const s of stats) out[s.name] = null;
    return out;
  }
  const width = rows[0].length;
  const sums = new Float64Array(width);
  const draws = stats.map(() => new Float64Array(resamples));
  const counts = new Int32Array(stats.length);
  for (let b = 0; b < resamples; b++) {
    sums.fill(0);
    for (let i = 0; i < G; i++) {
      const row = rows[rng.int(G)];
      for (let j = 0; j < width; j++) sums[j] += row[j];
    }
    stats.forEach((s, k) => {
      const den = sums[s.den];
      const min = s.floor === undefined ? (s.minDen ?? 0) : sums[s.floor];
      if (den > min) draws[k][counts[k]++] = sums[s.num] / den;
    });
  }
  const alpha = (1 - level) / 2;
  stats.forEach((s, k) => {
    if (counts[k] === 0) {
      out[s.name] = null;
      return;
    }
    const sorted = draws[k].subarray(0, counts[k]).sort();
    out[s.name] = [quantileSorted(sorted, alpha), quantileSorted(sorted, 1 - alpha)];
  });
  return out;
}

/**
 * Bootstrap standard error of any statistic of G clusters: `stat` gets the
 * resampled cluster indices (with repeats). Resamples where the statistic
 * is null are left out; null when fewer than 2 resamples define it or G < 2.
 */
export function bootstrapStandardError(G: number, stat: (indices: Int32Array) => number | null, resamples: number, rng: Rng): number | null {
  if (G < 2) return null;
  const idx = new Int32Array(G);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < G; i++) idx[i] = rng.int(G);
    const v = stat(idx);
    if (v === null || !Number.isFinite(v)) continue;
    // Welford's running variance.
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return n >= 2 ? Math.sqrt(m2 / (n - 1)) : null;
}
