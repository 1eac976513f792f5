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

