/**
 * Bias/variance decompositions of an outcome over the rollouts of a group
 * (metrics spec, section B). Pure; no I/O.
 *
 * Values are n rows of d numbers, flattened row-major, so per-step callers
 * can pass typed arrays without building n small arrays. For squared,
 * brier and coverage, Error = Bias² + Var holds exactly (up to rounding);
 * for kl it holds up to rounding through the geometric-mean identity.
 */
import type { OutcomeKind } from '../core/index.js';

export type { OutcomeKind };

export interface Decomposition {
  readonly biasSq: number;
  readonly variance: number;
  readonly error: number;
}

export interface DecomposeOptions {
  /** KL smoothing δ: p̂ = (p + δ)/(1 + Cδ). */
  readonly klDelta?: number;
}

export const DEFAULT_KL_DELTA = 1e-12;

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
    case 'kl':
      return kl(values, n, d, target, options.klDelta ?? DEFAULT_KL_DELTA);
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

function columnMeans(values: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += values[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/** B1/B2: ‖ȳ − y*‖², mean ‖y − ȳ‖², mean ‖y − y*‖². */
function squared(values: ArrayLike<number>, n: number, d: number, target: ArrayLike<number>): Decomposition {
  const mean = columnMeans(values, n, d);
  let biasSq = 0;
  for (let j = 0; j < d; j++) biasSq += (mean[j] - target[j]) ** 2;
  let variance = 0;
  let error = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const y = values[r * d + j];
      variance += (y - mean[j]) ** 2;
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

/** B3: the paper's KL decomposition around the normalised geometric mean p̃. */
function kl(values: ArrayLike<number>, n: number, d: number, target: ArrayLike<number>, delta: number): Decomposition {
  const gold = argmax(target, 0, d);
  const norm = 1 + d * delta;
  // meanLog[c] = mean_r log p̂_r[c]
  const meanLog = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) meanLog[c] += Math.log((values[r * d + c] + delta) / norm);
  let max = -Infinity;
  for (let c = 0; c < d; c++) {
    meanLog[c] /= n;
    if (meanLog[c] > max) max = meanLog[c];
  }
  let z = 0;
  for (let c = 0; c < d; c++) z += Math.exp(meanLog[c] - max);
  const logZ = max + Math.log(z);
  const logTilde = new Float64Array(d);
  for (let c = 0; c < d; c++) logTilde[c] = meanLog[c] - logZ;
  const error = -meanLog[gold];
  const biasSq = -logTilde[gold];
  // Var = mean_r KL(p̃ ‖ p̂_r), by its definition.
  let variance = 0;
  for (let r = 0; r < n; r++) {
    let k = 0;
    for (let c = 0; c < d; c++) {
      const pt = Math.exp(logTilde[c]);
      if (pt > 0) k += pt * (logTilde[c] - Math.log((values[r * d + c] + delta) / norm));
    }
    variance += k;
  }
  return { biasSq, variance: Math.max(0, variance / n), error };
}

/** Finite-sample corrected values (spec B): Var_u = N·Var/(N−1), Bias²_u = Bias² − Var_u/N. */
export function correct(d: Decomposition, n: number): { biasSq: number; variance: number } | null {
  if (n < 2) return null;
  const variance = (n * d.variance) / (n - 1);
  return { biasSq: d.biasSq - variance / n, variance };
}
