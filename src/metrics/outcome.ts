/**
 * Bias/variance decompositions of an outcome over the rollouts of a group
 * (metrics spec, section B). Pure; no I/O.
 *
 * Values are n rows of d numbers, flattened row-major, so per-step callers
 * can pass typed arrays without building n small arrays. For squared,
 * brier and coverage, Error = Bias² + Var holds exactly (up to rounding);
 * for kl it holds up to rounding through the geometric-mean identity.
 *
 * Means and spreads are taken of deviations from the first row: a column
 * whose rows are all equal then has a mean deviation of exactly 0, so
 * identical rollouts give Var = 0 exactly, never rounding noise such as
 * (0.1 + 0.1 + 0.1)/3 − 0.1 ≈ 1e-17.
 */
import type { OutcomeKind } from '../core/index.js';

export type { OutcomeKind };

export interface Decomposition {
  readonly biasSq: number;
  readonly variance: number;
  readonly error: number;
  /**
   * Error at or below this counts as zero error when incoherence is formed
   * (see `errorFloor`); absent means 0. Summed over groups like the error.
   */
  readonly floor?: number;
}

export interface DecomposeOptions {
  /** KL smoothing δ: p̂ = (p + δ)/(1 + Cδ). */
  readonly klDelta?: number;
}

export const DEFAULT_KL_DELTA = 1e-12;

/**
 * The error of a perfect answer, per group, for each kind. Zero for
 * squared, brier and coverage: with deviations taken from the first row an
 * oracle's error is exactly 0. For kl the δ-smoothing gives even a one-hot
 * correct answer p̂[gold] = (1 + δ)/(1 + Cδ), an error of about (C − 1)·δ,
 * so error ≤ 10·C·(δ + ε) counts as none (ε, the float epsilon, covers the
 * rounding of log near 1 when δ is tiny). With the default δ = 1e-12 that
 * is 1e-11·C; a real error (say one rollout in 1000 giving gold 0.999) is
 * 1e-6, far above.
 */
export function errorFloor(kind: OutcomeKind, d: number, klDelta = DEFAULT_KL_DELTA): number {
  return kind === 'kl' ? 10 * d * (klDelta + Number.EPSILON) : 0;
}

/**
 * Decompose the error of n outcome vectors (dimension d) against a target.
 * Returns null when n = 0 or d = 0. Plug-in estimators throughout.
 */
export function decompose(
  kind: OutcomeKind,
  values: ArrayLike<number>,
  n: number,
  d: number,
  target: ArrayLike<number>,
  options: DecomposeOptions = {},
): Decomposition | null {
  if (n <= 0 || d <= 0) return null;
  switch (kind) {
    case 'squared':
    case 'brier':
      return squared(values, n, d, target);
    case 'coverage':
      return coverage(values, n, d);
    case 'kl': {
      const delta = options.klDelta ?? DEFAULT_KL_DELTA;
      return { ...kl(values, n, d, target, delta), floor: errorFloor('kl', d, delta) };
    }
  }
}

/** Convenience form taking one array per rollout. */
export function decomposeRows(kind: OutcomeKind, rows: readonly (readonly number[])[], target: readonly number[], options?: DecomposeOptions) {
  const d = target.length;
  const flat = new Float64Array(rows.length * d);
  rows.forEach((row, r) => {
    if (row.length !== d) throw new RangeError(`row ${r} has ${row.length} values, the target ${d}`);
    flat.set(row, r * d);
  });
  return decompose(kind, flat, rows.length, d, target, options);
}

/** Mean deviation of each column from row 0: exactly 0 for a column whose rows are all equal. */
function meanShifts(values: ArrayLike<number>, n: number, d: number): Float64Array {
  const shift = new Float64Array(d);
  for (let r = 1; r < n; r++) for (let j = 0; j < d; j++) shift[j] += values[r * d + j] - values[j];
  for (let j = 0; j < d; j++) shift[j] /= n;
  return shift;
}

/** B1/B2: ‖ȳ − y*‖², mean ‖y − ȳ‖², mean ‖y − y*‖², with ȳ = y₀ + mean(y − y₀). */
function squared(values: ArrayLike<number>, n: number, d: number, target: ArrayLike<number>): Decomposition {
  const shift = meanShifts(values, n, d);
  let biasSq = 0;
  for (let j = 0; j < d; j++) biasSq += (values[j] - target[j] + shift[j]) ** 2;
  let variance = 0;
  let error = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const y = values[r * d + j];
      variance += (y - values[j] - shift[j]) ** 2;
      error += (y - target[j]) ** 2;
    }
  }
  return { biasSq, variance: variance / n, error: error / n };
}

/** B4: T binary items against all ones, each term divided by T. */
function coverage(values: ArrayLike<number>, n: number, d: number): Decomposition {
  const ones = new Float64Array(d).fill(1);
  const s = squared(values, n, d, ones);
  return { biasSq: s.biasSq / d, variance: s.variance / d, error: s.error / d };
}

/** Index of the largest entry (the gold class of a one-hot target; the answer of a distribution). */
export function argmax(v: ArrayLike<number>, offset = 0, d = v.length - offset): number {
  let best = 0;
  for (let j = 1; j < d; j++) if (v[offset + j] > v[offset + best]) best = j;
  return best;
}

/**
 * B3: the paper's KL decomposition around the normalised geometric mean p̃.
 * With m[c] = mean_r log p̂_r[c] and Z = Σ_c exp m[c], p̃ = exp(m)/Z and
 * mean_r KL(p̃ ‖ p̂_r) = Σ_c p̃[c](log p̃[c] − m[c]) = −log Z exactly, so
 * Var = −log Z and Bias² = −log p̃[gold] = Error − Var. Z is taken relative
 * to the first row (whose p̂ sums to 1): Z = Σ_c w[c]·exp(s[c]) with
 * w = p̂₀/Σ p̂₀ and s[c] = m[c] − log p̂₀[c], evaluated as
 * log1p(Σ w·expm1(s)) so identical rows give Var = 0 exactly rather than
 * the rounding of Σ p̂₀.
 */
function kl(values: ArrayLike<number>, n: number, d: number, target: ArrayLike<number>, delta: number): Decomposition {
  const gold = argmax(target, 0, d);
  const norm = 1 + d * delta;
  const logP = (r: number, c: number) => Math.log((values[r * d + c] + delta) / norm);
  let sum0 = 0;
  for (let c = 0; c < d; c++) sum0 += Math.exp(logP(0, c));
  let zMinus1 = 0;
  let meanLogGold = 0;
  for (let c = 0; c < d; c++) {
    const ref = logP(0, c);
    // s = mean_r (log p̂_r[c] − log p̂₀[c]): exactly 0 when the column is constant.
    let s = 0;
    if (ref === -Infinity) s = -Infinity; // a zero in row 0 (δ = 0): the geometric mean is 0 too
    else {
      for (let r = 1; r < n; r++) s += logP(r, c) - ref;
      s /= n;
    }
    // w·expm1(s); past s ≈ 709 expm1 overflows, but then exp(ref + s) ≤ 1 is exact enough.
    if (ref > -Infinity) zMinus1 += (s < 700 ? Math.exp(ref) * Math.expm1(s) : Math.exp(ref + s) - Math.exp(ref)) / sum0;
    if (c === gold) meanLogGold = ref + s;
  }
  const error = -meanLogGold;
  const variance = Math.max(0, -Math.log1p(zMinus1));
  return { biasSq: Math.max(0, error - variance), variance, error };
}

/** Finite-sample corrected values (spec B): Var_u = N·Var/(N−1), Bias²_u = Bias² − Var_u/N. */
export function correct(d: Decomposition, n: number): { biasSq: number; variance: number } | null {
  if (n < 2) return null;
  const variance = (n * d.variance) / (n - 1);
  return { biasSq: d.biasSq - variance / n, variance };
}
