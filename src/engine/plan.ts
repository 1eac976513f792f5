/**
 * The rollouts a scenario asks for, in canonical order, each with its
 * coordinates and derived seeds. The plan is a generator: a large scenario
 * never holds its whole plan in memory, and each rollout's seeds are derived
 * only when it is about to run.
 */
import type { RolloutSeeds, SeedPart } from '../core/index.js';
import { rolloutId } from '../log/index.js';
import type { ResolvedAgent, ResolvedScenario } from './scenario.js';
import { rolloutSeeds } from './seeds.js';

export interface PlannedRollout {
  readonly id: string;
  readonly agent: ResolvedAgent;
  readonly horizon: number;
  readonly instance: number;
  readonly index: number;
  readonly seeds: RolloutSeeds;
}

/** How many rollouts the plan holds (agents × horizons × instances × rollouts), without building it. */
export const planSize = (s: Pick<ResolvedScenario, 'spec'>): number => s.spec.agents.length * s.spec.horizons.length * s.spec.instances * s.spec.rollouts;

/** One rollout at its coordinates, with its seeds. */
export const plannedRollout = (base: SeedPart, agent: ResolvedAgent, horizon: number, instance: number, index: number): PlannedRollout => ({
  id: rolloutId(agent.name, horizon, instance, index),
  agent,
  horizon,
  instance,
  index,
  seeds: rolloutSeeds(base, agent.name, horizon, instance, index),
});

/** Every planned rollout in canonical order, except those `skip` holds (finished before a resume). */
export function* planRollouts(s: ResolvedScenario, skip: ReadonlySet<string> = new Set()): Generator<PlannedRollout> {
  for (const agent of s.agents)
    for (const horizon of s.spec.horizons)
      for (let instance = 0; instance < s.spec.instances; instance++)
        for (let index = 0; index < s.spec.rollouts; index++) {
          if (skip.size > 0 && skip.has(rolloutId(agent.name, horizon, instance, index))) continue;
          yield plannedRollout(s.spec.seed, agent, horizon, instance, index);
        }
}
