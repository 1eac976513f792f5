/**
 * Re-deriving what a rollout's agent saw: reset the environment with the
 * rollout's logged env seed, replay its logged actions by the engine's own
 * rule (`stateAfter`: a refused action leaves the state unchanged), and observe.
 * States are checkpointed every CHECKPOINT steps per rollout, so moving the
 * cursor costs at most that many steps; long replays yield to the event loop
 * and stop when their signal aborts, so the UI stays responsive.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { errorText, createRng, stateAfter, type Action, type AnyEnvironment } from '../../core/index.js';
import type { IndexedRollout } from './run-index.js';

const CHECKPOINT = 256;
const YIELD_EVERY = 2000;
const MAX_ROLLOUTS = 64;

export type StateResult = { readonly ok: true; readonly state: unknown } | { readonly ok: false; readonly reason: string };

export class StateReplayer {
  /** Rollout id → its checkpoints and latest state. Insertion order doubles as LRU order. */
  private readonly cache = new Map<string, Trail>();

  constructor(
    readonly env: AnyEnvironment,
    private readonly params: unknown,
  ) {}

  /**
   * The state after `k` steps of `rollout`; `actionAt(i)` gives the logged
   * action of step i (1-based), or undefined when the log has a gap there.
   */
  async stateAfter(rollout: IndexedRollout, k: number, actionAt: (i: number) => Action | undefined, signal?: AbortSignal): Promise<StateResult> {
    if (rollout.envSeed === null) return { ok: false, reason: 'the rollout line records no env seed, so its instance cannot be rebuilt' };
    const trail = this.trail(rollout);
    let from = 0;
    let state: unknown;
    if (trail.lastK <= k && trail.lastK >= 0) {
      from = trail.lastK;
      state = trail.lastState;
    } else {
      for (const at of trail.points.keys()) if (at <= k && at > from) from = at;
      state = trail.points.get(from);
    }
    if (state === undefined) {
      try {
        state = this.env.reset(this.params, rollout.horizon, createRng(rollout.envSeed));
      } catch (e) {
        return { ok: false, reason: `reset failed: ${errorText(e)}` };
      }
      trail.points.set(0, state);
    }
    for (let i = from + 1; i <= k; i++) {
      const action = actionAt(i);
      if (action === undefined) return { ok: false, reason: `step ${i} is missing from the log` };
      try {
        state = stateAfter(this.env, state, action);
      } catch (e) {
        return { ok: false, reason: `replaying step ${i} failed: ${errorText(e)}` };
      }
      if (i % CHECKPOINT === 0) trail.points.set(i, state);
      if (i % YIELD_EVERY === 0) {
        await yieldToLoop();
        if (signal?.aborted) return { ok: false, reason: 'cancelled' };
      }
    }
    trail.lastK = k;
    trail.lastState = state;
    return { ok: true, state };
  }

  private trail(rollout: IndexedRollout): Trail {
    let p = this.cache.get(rollout.id);
    if (p) {
      this.cache.delete(rollout.id);
      this.cache.set(rollout.id, p);
      return p;
    }
    p = { points: new Map(), lastK: -1, lastState: undefined };
    this.cache.set(rollout.id, p);
    if (this.cache.size > MAX_ROLLOUTS) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
}

interface Trail {
  /** Steps applied → state, every CHECKPOINT steps. */
  readonly points: Map<number, unknown>;
  /** The last state asked for: stepping the cursor forward costs one step. */
  lastK: number;
  lastState: unknown;
}
