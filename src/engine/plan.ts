/**
 * The rollouts a scenario asks for, in canonical order, each with its
 * coordinates and derived seeds.
 */
import { rolloutSeeds, type RolloutSeeds } from '../core/index.js';
import { rolloutId } from '../log/index.js';
import type { ResolvedAgent, ResolvedScenario } from './scenario.js';

export interface PlannedRollout {
  readonly id: string;
  readonly agent: ResolvedAgent;
  readonly horizon: number;
  readonly instance: number;
  readonly index: number;
  readonly seeds: RolloutSeeds;
}

export function planRollouts(s: ResolvedScenario): PlannedRollout[] {
  const plan: PlannedRollout[] = [];
  for (const agent of s.agents)
    for (const horizon of s.spec.horizons)
      for (let instance = 0; instance < s.spec.instances; instance++)
        for (let index = 0; index < s.spec.rollouts; index++)
          plan.push({
            id: rolloutId(agent.name, horizon, instance, index),
            agent,
            horizon,
            instance,
            index,
            seeds: rolloutSeeds(s.spec.seed, agent.name, horizon, instance, index),
          });
  return plan;
}
