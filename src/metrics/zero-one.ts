/**
 * Domingos' 0-1 decomposition (spec B5): bias is 1 when the modal answer is
 * wrong, variance the fraction of rollouts that differ from the mode. The
 * terms do not add up, so no incoherence is derived from them. Pure.
 */

/**
 * Answers are compared as strings (canonical keys). Ties for the mode go to
 * the smallest key, so the result does not depend on rollout order.
 */
export function zeroOne(answers: readonly string[], target: string): { bias: number; variance: number } | null {
  if (answers.length === 0) return null;
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  let mode = '';
  let best = -1;
  for (const [a, c] of counts) {
    if (c > best || (c === best && a < mode)) {
      mode = a;
      best = c;
    }
  }
  return { bias: mode === target ? 0 : 1, variance: (answers.length - best) / answers.length };
}
