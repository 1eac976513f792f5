/**
 * Curve fits reported per group and per horizon (spec A). Points are
 * (t, value) with t from 1; null values are skipped. Pure.
 */

export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  /** Null when the response has no spread. */
  readonly r2: number | null;
}

/** Ordinary least squares y = a + b·x. Null with fewer than 2 points or no spread in x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LineFit | null {
  const n = xs.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ys[i] - intercept - slope * xs[i]) ** 2;
  return { slope, intercept, r2: syy > 0 ? 1 - ssRes / syy : null };
}

/**
 * Per-step agreement q̂: least squares of log S(t) = t·log q through the
 * origin over the steps with S(t) > 0, and the pair half-life ln 0.5 / ln q̂
 * (null when q̂ is 1 or 0).
 */
export function fitAgreement(survival: readonly (number | null)[]): { q: number | null; halfLife: number | null } {
  let stl = 0;
  let stt = 0;
  survival.forEach((s, i) => {
    if (s === null || !(s > 0)) return;
    const t = i + 1;
    stl += t * Math.log(s);
    stt += t * t;
  });
  if (stt === 0) return { q: null, halfLife: null };
  const logQ = Math.min(0, stl / stt);
  const q = Math.exp(logQ);
  return { q, halfLife: logQ < 0 && q > 0 ? Math.log(0.5) / logQ : null };
}

/**
 * Growth exponent b of log D(t) = a + b·log t over the steps with D(t) > 0,
 * and its R². Null with fewer than two such steps: identical rollouts give
 * D = 0 exactly (featureDivergence), so nothing is fitted to rounding noise.
 */
export function fitGrowth(divergence: readonly (number | null)[]): { growthExponent: number | null; growthR2: number | null } {
  const xs: number[] = [];
  const ys: number[] = [];
  divergence.forEach((d, i) => {
    if (d !== null && d > 0) {
      xs.push(Math.log(i + 1));
      ys.push(Math.log(d));
    }
  });
  const fit = linearFit(xs, ys);
  return { growthExponent: fit ? fit.slope : null, growthR2: fit ? fit.r2 : null };
}

/** Least-squares slope of a per-step curve v(t) against t (t from 1), nulls skipped. */
export function fitSlope(values: readonly (number | null)[]): number | null {
  const xs: number[] = [];
  const ys: number[] = [];
  values.forEach((v, i) => {
    if (v !== null) {
      xs.push(i + 1);
      ys.push(v);
    }
  });
  return linearFit(xs, ys)?.slope ?? null;
}

/** Least-squares slope of h(t) against t. */
export const fitHazardSlope = (hazard: readonly (number | null)[]): number | null => fitSlope(hazard);

/** Slope of the per-step error rate 1 − p̂(t) against t. */
export const fitErrorRateSlope = (stepAccuracy: readonly (number | null)[]): number | null => fitSlope(stepAccuracy.map((p) => (p === null ? null : 1 - p)));
