/**
 * Environment instances built once per (horizon, environment seed) and
 * shared read-only by every rollout of the group. `reset` is a pure function
 * of (params, horizon, env seed) and transitions never mutate their input
 * (they run on an immer draft), so sharing the initial state changes nothing
 * a log can show; it saves rebuilding the maze, the dictionary, the
 * statechart... once per rollout.
 */
import { createRng, type AnyEnvironment } from '../core/index.js';

/** Instances kept at once: a run's groups come agent by agent, so every agent revisits the same instances. */
const CAPACITY = 256;

export class InstanceCache {
  private readonly states = new Map<string, unknown>();
  constructor(
    private readonly env: AnyEnvironment,
    private readonly params: unknown,
    private readonly capacity = CAPACITY,
  ) {}

  /** The initial state for (horizon, env seed): built on first use, then shared. */
  initial(horizon: number, envSeed: string): unknown {
    const key = `${horizon}\u0000${envSeed}`;
    const hit = this.states.get(key);
    if (hit !== undefined) return hit;
    const state = this.env.reset(this.params, horizon, createRng(envSeed));
    if (this.states.size >= this.capacity) this.states.delete(this.states.keys().next().value as string);
    this.states.set(key, state);
    return state;
  }
}
