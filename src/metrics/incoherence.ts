/**
 * Incoherence as a ratio of sums (spec B): Σ Var / Σ Error over a set of
 * groups, never a mean of per-group ratios. Pure.
 */

/**
 * Total error at or below this, per group, counts as zero error. It absorbs
 * rounding and the KL smoothing floor (about C·δ), so an oracle's
 * incoherence is null rather than a ratio of rounding noise.
 */
export const ERROR_FLOOR = 1e-9;

/** Σ Var / Σ Error, or null when the total error is (numerically) zero. */
export function incoherence(sumVariance: number, sumError: number, groups = 1): number | null {
  if (!(sumError > ERROR_FLOOR * Math.max(1, groups))) return null;
  return sumVariance / sumError;
}

/** Ratio of sums over a list of decompositions (nulls skipped). */
export function pooledIncoherence(items: readonly ({ variance: number; error: number } | null)[]): number | null {
  let v = 0;
  let e = 0;
  let k = 0;
  for (const it of items) {
    if (!it) continue;
    v += it.variance;
    e += it.error;
    k++;
  }
  return k === 0 ? null : incoherence(v, e, k);
}
