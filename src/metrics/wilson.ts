/** Wilson score interval for a binomial proportion (metrics spec H6). Pure. */

/** The 95% Wilson interval of s successes in n trials; [0, 1] when n = 0. */
export function wilsonInterval(s: number, n: number, z = 1.959964): [number, number] {
  if (n <= 0) return [0, 1];
  const p = s / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
