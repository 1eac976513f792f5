/**
 * Size limits, checked at validation before any work. They keep a typo
 * (`rollouts: 1000000000`) from running for hours or exhausting memory,
 * and admit every real sweep: a 10⁷-step run (horizon 10,000 × 1,000
 * rollouts), concurrency 1,024 and 100,000 fork samples. Documented in
 * README ("Size limits").
 */
export const LIMITS = {
  /** Rollouts in one run: agents × horizons × instances × rollouts. */
  rollouts: 1_000_000,
  /** Steps in one run at most: Σ over the plan of the horizon. */
  steps: 100_000_000,
  /** Rollouts in flight at once. */
  concurrency: 1024,
  /** `fork --samples`. */
  forkSamples: 100_000,
  /** A horizon, for environments that declare no `maxHorizon` of their own. */
  horizon: 1_000_000,
} as const;

/** Upper bound on the steps of a plan: every rollout runs to its horizon. */
export function maxSteps(spec: { readonly horizons: readonly number[]; readonly instances: number; readonly rollouts: number; readonly agents: readonly unknown[] }): number {
  let perGroup = 0;
  for (const h of spec.horizons) perGroup += h;
  return perGroup * spec.instances * spec.rollouts * spec.agents.length;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Problems with a scenario's size, each with the field it names (empty when it fits). */
export function sizeIssues(spec: { readonly horizons: readonly number[]; readonly instances: number; readonly rollouts: number; readonly agents: readonly unknown[] }): { field: 'rollouts' | 'horizons'; message: string }[] {
  const rollouts = spec.agents.length * spec.horizons.length * spec.instances * spec.rollouts;
  if (rollouts > LIMITS.rollouts)
    return [{ field: 'rollouts', message: `the run would have ${fmt(rollouts)} rollouts (agents × horizons × instances × rollouts); the limit is ${fmt(LIMITS.rollouts)}` }];
  const steps = maxSteps(spec);
  if (steps > LIMITS.steps) return [{ field: 'horizons', message: `the run could take ${fmt(steps)} steps (Σ horizons × instances × rollouts × agents); the limit is ${fmt(LIMITS.steps)}` }];
  return [];
}
