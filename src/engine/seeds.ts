/**
 * Rollout seeds are derived here and nowhere else: a rollout's environment
 * seed from (base, horizon, instance), shared by every rollout of its group
 * and every agent, and its agent seed from (base, agent, horizon, instance,
 * index). Everything that resets an instance or replays a rollout outside
 * the runner (play, describe, estimates, forks, queue jobs) asks this file,
 * so a change to the derivation cannot leave a copy behind.
 */
import { createRng, deriveSeed, type Rng, type RolloutSeeds, type SeedPart } from '../core/index.js';

export function rolloutSeeds(base: SeedPart, agent: string, horizon: number, instance: number, index: number): RolloutSeeds {
  return { env: instanceSeed(base, horizon, instance), agent: deriveSeed(base, 'agent', agent, horizon, instance, index) };
}

/** The environment seed of one instance: what every rollout of its group resets from. */
export const instanceSeed = (base: SeedPart, horizon: number, instance: number): string => deriveSeed(base, 'env', horizon, instance);

/** The stream an instance is reset with (e.g. to show its first observation before any rollout runs). */
export const instanceRng = (base: SeedPart, horizon: number, instance: number): Rng => createRng(instanceSeed(base, horizon, instance));

/** A logged rollout's seeds: each as its record holds it, else derived from its coordinates (records written before seeds were logged). */
export function seedsOfRecord(
  base: SeedPart,
  record: { readonly agent: string; readonly horizon: number; readonly instance: number; readonly index: number; readonly seeds?: Partial<RolloutSeeds> },
): RolloutSeeds {
  return {
    env: record.seeds?.env ?? instanceSeed(base, record.horizon, record.instance),
    agent: record.seeds?.agent ?? rolloutSeeds(base, record.agent, record.horizon, record.instance, record.index).agent,
  };
}
