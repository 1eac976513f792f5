/**
 * Where rollouts run: the seam between the batch loop (executePlan, which
 * plans, stops, counts and commits) and the machinery that executes a
 * rollout. In this process by default; worker processes (pool.ts) and a
 * BullMQ queue (the CLI's coordinator) are other places. Whatever the place,
 * the caller stays the single writer: a place only fills the rollout's step
 * sink and returns its rollout line.
 */
import type { Action, AgentServices } from '../core/index.js';
import { executeRollout, type ExecuteResult } from './execute.js';
import { InstanceCache } from './instances.js';
import type { PlannedRollout } from './plan.js';
import type { Registry } from './registry.js';
import type { StepSink } from './session.js';
import type { ResolvedScenario } from './scenario.js';

export interface RolloutPlace {
  /** Rollouts the loop may keep in flight at once. */
  readonly slots: number;
  /**
   * Run one rollout: its step lines go to `sink`, in order, before the
   * promise resolves. Never rejects for a failure of the rollout itself
   * (that is an `error` rollout); rejects only when the place itself is lost
   * (e.g. the queue's server), which stops the run.
   */
  run(planned: PlannedRollout, sink: StepSink, signal?: AbortSignal): Promise<ExecuteResult>;
  /** The loop is about to wait: hand over anything held back for batching. */
  flush?(): void;
  /** Release processes and connections; called once, when the loop ends. */
  close?(): Promise<void>;
}

export interface LocalPlaceOptions {
  readonly scenario: Pick<ResolvedScenario, 'env' | 'envParams'>;
  readonly registry: Registry;
  readonly slots: number;
  readonly services?: AgentServices;
  readonly prefixFor?: (planned: PlannedRollout) => readonly Action[] | undefined;
}

/** This process: today's behaviour, the default place. */
export function localPlace(o: LocalPlaceOptions): RolloutPlace {
  const instances = new InstanceCache(o.scenario.env, o.scenario.envParams);
  return {
    slots: o.slots,
    run: (planned, sink, signal) =>
      executeRollout({ planned, env: o.scenario.env, envParams: o.scenario.envParams, registry: o.registry, sink, signal, prefix: o.prefixFor?.(planned), services: o.services, instances }),
  };
}

/** Collects a rollout's step lines as one string (worker processes send it back whole). */
export class TextSink implements StepSink {
  text = '';
  step(line: string): void {
    this.text += line;
  }
}

/**
 * Rollouts for which `toFirst` holds run in `first`, the others in
 * `second`; each place keeps to its own slots (e.g. model-backed rollouts in
 * this process, beside the run's one limiter, and scripted ones in workers).
 */
export function splitPlace(toFirst: (planned: PlannedRollout) => boolean, first: RolloutPlace, second: RolloutPlace): RolloutPlace {
  const a = gated(first);
  const b = gated(second);
  return {
    slots: first.slots + second.slots,
    run: (planned, sink, signal) => (toFirst(planned) ? a : b).run(planned, sink, signal),
    flush() {
      first.flush?.();
      second.flush?.();
    },
    async close() {
      await Promise.all([first.close?.(), second.close?.()]);
    },
  };
}

/** A place that queues calls beyond its slots instead of overfilling them. */
function gated(place: RolloutPlace): Pick<RolloutPlace, 'run'> {
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(planned, sink, signal) {
      if (busy >= place.slots) await new Promise<void>((resolve) => waiting.push(resolve));
      busy++;
      try {
        return await place.run(planned, sink, signal);
      } finally {
        busy--;
        waiting.shift()?.();
      }
    },
  };
}
