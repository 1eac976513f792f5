/**
 * Incoherence as a ratio of sums (spec B): Σ Var / Σ Error over a set of
 * groups, never a mean of per-group ratios. Pure.
 */

/**
 * Σ Var / Σ Error, or null when the total error is zero: at or below
 * `errorFloor`, the summed per-group floors of `errorFloor()` in outcome.ts
 * (0 for squared, brier and coverage, whose estimators give an exact 0 for
 * an oracle; about C·δ per group for kl, the smoothing floor).
 */
export function incoherence(sumVariance: number, sumError: number, errorFloor = 0): number | null {
  if (!(sumError > errorFloor)) return null;
  return sumVariance / sumError;
}

/** Ratio of sums over a list of decompositions (nulls skipped), each with its own floor. */
export function pooledIncoherence(items: readonly ({ variance: number; error: number; floor?: number } | null)[]): number | null {
  let v = 0;
  let e = 0;
  let f = 0;
  let k = 0;
  for (const it of items) {
    if (!it) continue;
    v += it.variance;
    e += it.error;
    f += it.floor ?? 0;
    k++;
  }
  return k === 0 ? null : incoherence(v, e, f);
}
