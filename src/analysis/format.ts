/**
 * Numbers as the tables and sentences print them: significant figures that
 * never mislead at the ends, intervals in one precision with their estimate.
 * Pure string building.
 */

/**
 * A number in `digits` significant figures, or "—" when null. Never
 * misleading at the ends: a value below 1 in magnitude never prints as 1
 * (0.99977 → "0.9998", more digits as needed), and a non-zero value never
 * prints as 0 (below 1e-3 it is in e-notation).
 */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  let d = digits;
  let s = String(Number(x.toPrecision(d)));
  while (a < 1 && Math.abs(Number(s)) >= 1 && d < 17) s = String(Number(x.toPrecision(++d)));
  return s;
}

/**
 * The significant figures that tell a point estimate and its interval apart:
 * `digits`, raised (up to 6) while the two ends would print alike though
 * they differ. One precision for all three, so "0.967 [0.97, 0.97]" cannot
 * happen.
 */
export function intervalDigits(iv: readonly [number, number] | null | undefined, digits = 3): number {
  let d = digits;
  while (iv && iv[0] !== iv[1] && fmt(iv[0], d) === fmt(iv[1], d) && d < 6) d++;
  return d;
}

/** "[lo, hi]" in `digits` significant figures (default: intervalDigits), or "" when null. */
export function fmtInterval(iv: readonly [number, number] | null | undefined, digits = intervalDigits(iv)): string {
  return iv ? `[${fmt(iv[0], digits)}, ${fmt(iv[1], digits)}]` : '';
}

/** "x [lo, hi]": the estimate and its interval in one precision. */
export function fmtEstimate(x: number | null | undefined, iv: readonly [number, number] | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const d = intervalDigits(iv);
  return `${fmt(x, d)} ${fmtInterval(iv, d)}`.trim();
}

/** pass^k in two decimals, except that a non-zero value never shows as 0.00 nor one below 1 as 1.00. */
export function fmtShare(x: number | null): string {
  if (x === null) return '—';
  const s = x.toFixed(2);
  if (x > 0 && s === '0.00') return x.toExponential(0);
  if (x < 1 && s === '1.00') return fmt(x);
  return s;
}
