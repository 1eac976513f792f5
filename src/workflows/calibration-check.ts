/**
 * What one calibration check reports, and the rule most of them follow: a
 * recovered value within z standard errors of the planted one. One file so
 * the drifting/mixed, ladder and main checks state the rule the same way.
 */

export interface CalibrationCheck {
  readonly agent: string;
  readonly check: string;
  /** The planted value, or the condition as text. */
  readonly planted: number | string;
  readonly recovered: number | null;
  /** Allowed |recovered − planted|, or the margin a one-sided check needs. */
  readonly tolerance: number | null;
  readonly rule: string;
  readonly ok: boolean;
}

/** |recovered − planted| ≤ z·SE, with `source` saying where the SE came from; fails when either is unknown. */
export function withinSE(agent: string, check: string, planted: number, recovered: number | null, se: number | null, z: number, source: string): CalibrationCheck {
  const tolerance = se === null ? null : z * se;
  const ok = recovered !== null && tolerance !== null && Math.abs(recovered - planted) <= tolerance;
  return { agent, check, planted, recovered, tolerance, rule: `|recovered − planted| ≤ ${z}·SE (${source})`, ok };
}
