/**
 * Reliability over repeated trials and horizon length (spec C). Pure.
 */

/** The largest k reported for pass^k and pass@k. */
export const MAX_K = 8;

/** pass^k for one group: C(c,k)/C(n,k), as a product so it never overflows. Null when k > n. */
export function passHatK(c: number, n: number, k: number): number | null {
  if (k < 1 || k > n) return null;
  let p = 1;
  for (let i = 0; i < k; i++) p *= Math.max(0, c - i) / (n - i);
  return p;
}

/** pass@k for one group: 1 − C(n−c,k)/C(n,k). Null when k > n. */
export function passAtK(c: number, n: number, k: number): number | null {
  if (k < 1 || k > n) return null;
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= Math.max(0, n - c - i) / (n - i);
  return 1 - miss;
}

/**
 * A pass curve over groups: for k = 1…min(max n, 8), the mean over the
 * groups with n ≥ k. Keys are "1", "2", ….
 */
export function passCurve(
  groups: readonly { readonly successes: number; readonly n: number }[],
  per: (c: number, n: number, k: number) => number | null,
  maxK = MAX_K,
): Record<string, number | null> {
  const top = Math.min(maxK, Math.max(0, ...groups.map((g) => g.n)));
  const out: Record<string, number | null> = {};
  for (let k = 1; k <= top; k++) {
    let s = 0;
    let m = 0;
    for (const g of groups) {
      const v = per(g.successes, g.n, k);
      if (v !== null) {
        s += v;
        m++;
      }
    }
    out[String(k)] = m > 0 ? s / m : null;
  }
  return out;
}

/** p̂: matching steps over steps with an oracle action. */
export const stepAccuracy = (matches: number, steps: number): number | null => (steps > 0 ? matches / steps : null);

/**
 * A(t) for t = 1..T: the fraction of rollouts with no oracle mismatch through
 * t. `firstMismatch[r]` is the first mismatching step, or Infinity.
 */
export function taskAccuracy(firstMismatch: ArrayLike<number>, T: number): number[] {
  const n = firstMismatch.length;
  const out: number[] = [];
  for (let t = 1; t <= T; t++) {
    let ok = 0;
    for (let r = 0; r < n; r++) if (firstMismatch[r] > t) ok++;
    out.push(n > 0 ? ok / n : 0);
  }
  return out;
}

/** The first t with A(t) < 0.5, or null. */
export function h50Observed(accuracy: readonly (number | null)[]): number | null {
  for (let i = 0; i < accuracy.length; i++) {
    const a = accuracy[i];
    if (a !== null && a < 0.5) return i + 1;
  }
  return null;
}

/** H_0.5 = ln 0.5 / ln p̂ (Sinha et al.); null when p̂ is unknown or 1, 0 when p̂ is 0. */
export function h50Predicted(p: number | null): number | null {
  if (p === null || !(p < 1)) return null;
  if (!(p > 0)) return 0;
  return Math.log(0.5) / Math.log(p);
}

/** p̂ᵗ, the accuracy a memoryless agent keeps through t. */
export const predictedAccuracy = (p: number | null, t: number): number | null => (p === null ? null : p ** t);
