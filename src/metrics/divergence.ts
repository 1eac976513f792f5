/**
 * Divergence between rollouts at one step (spec A), from class counts.
 * Pure; each function is O(n) in the rollouts counted.
 */

/** Σ_k n_k(n_k−1) / (n(n−1)): the chance two distinct rollouts share a class. Null when n < 2. */
export function pairAgreement(counts: Iterable<number>, n: number): number | null {
  if (n < 2) return null;
  let s = 0;
  // Arrays by index (the same terms in the same order): for-of here sees several kinds of iterable and would allocate a result per count.
  if (Array.isArray(counts)) for (let i = 0; i < counts.length; i++) s += counts[i] * (counts[i] - 1);
  else for (const c of counts) s += c * (c - 1);
  return s / (n * (n - 1));
}

/** −Σ (n_k/n) log₂(n_k/n), in bits. Null when n = 0. */
export function entropyBits(counts: Iterable<number>, n: number): number | null {
  if (n < 1) return null;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log2(c / n);
  return h === 0 ? 0 : h;
}

/**
 * `entropyBits` of the first k counts, for many rows in turn: each count's
 * term (c/n)·log₂(c/n) is computed once per n and reused (a row of N
 * distinct actions is N equal terms), then summed in the same order, so the
 * result is the same double.
 */
export class EntropyOfCounts {
  private n = -1;
  private terms = new Float64Array(0);
  private known = new Uint8Array(0);

  bits(counts: ArrayLike<number>, k: number, n: number): number | null {
    if (n < 1) return null;
    if (n !== this.n) {
      this.n = n;
      if (this.terms.length <= n) {
        this.terms = new Float64Array(n + 1);
        this.known = new Uint8Array(n + 1);
      } else this.known.fill(0);
    }
    const { terms, known } = this;
    let h = 0;
    for (let i = 0; i < k; i++) {
      const c = counts[i];
      if (!(c > 0)) continue;
      if (c > n || c !== Math.floor(c)) {
        // Not a count of these n: computed as entropyBits would, not kept.
        h -= (c / n) * Math.log2(c / n);
        continue;
      }
      if (known[c] === 0) {
        known[c] = 1;
        terms[c] = (c / n) * Math.log2(c / n);
      }
      h -= terms[c];
    }
    return h === 0 ? 0 : h;
  }
}

/** h(t) = 1 − S(t)/S(t−1); null when S(t−1) is 0 or unknown. */
export function hazard(prev: number | null, current: number | null): number | null {
  if (prev === null || current === null || !(prev > 0)) return null;
  return 1 - current / prev;
}

/** Counts of equal keys (numbers) among `keys[i]` for the listed indices. */
export function countKeys(keys: ArrayLike<number>, scratch: Map<number, number> = new Map()): Map<number, number> {
  scratch.clear();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    scratch.set(k, (scratch.get(k) ?? 0) + 1);
  }
  return scratch;
}

/**
 * A column whose spread (max − min) is within this many units of rounding
 * of its largest magnitude is constant: two rollouts in the same state can
 * log features that differ in the last bits (the same sum taken in another
 * order), and that is not divergence.
 */
export const ROUNDING_ULPS = 8;

/**
 * Mean squared distance over distinct pairs of n feature vectors (dimension
 * d, row-major), computed as 2 Σ_j Var_j with the (n−1) sample variance,
 * which equals the pairwise mean exactly. Deviations are taken from the
 * first row, so equal rows give exactly 0; a column that differs only by
 * rounding (see ROUNDING_ULPS) contributes 0. Null when n < 2.
 */
export function featureDivergence(values: ArrayLike<number>, n: number, d: number): number | null {
  if (n < 2) return null;
  let total = 0;
  for (let j = 0; j < d; j++) {
    const ref = values[j];
    let lo = ref;
    let hi = ref;
    let shift = 0;
    for (let r = 1; r < n; r++) {
      const v = values[r * d + j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      shift += v - ref;
    }
    if (hi - lo <= ROUNDING_ULPS * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi))) continue;
    shift /= n;
    let ss = 0;
    for (let r = 0; r < n; r++) ss += (values[r * d + j] - ref - shift) ** 2;
    total += ss / (n - 1);
  }
  return 2 * total;
}

/** Fraction of distinct pairs whose state hashes differ. Null when n < 2. */
export function hashDivergence(hashes: ArrayLike<number>): number | null {
  const agree = pairAgreement(countKeys(hashes).values(), hashes.length);
  return agree === null ? null : 1 - agree;
}
