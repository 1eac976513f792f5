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

/**
 * Where a place puts a rollout's step lines: as strings (this process), or
 * as the UTF-8 bytes another process produced, written as they came.
 */
export interface RolloutSink extends StepSink {
  /**
   * Whole step lines, UTF-8, each ending in a newline. The loop commits or
   * discards them before the event loop next turns, so a place may use the
   * chunk's memory again after that (the queue reads its next result there).
   */
  bytes(chunk: Uint8Array): void;
}

/**
 * A rollout the place gave up while it was in flight, because it stopped the
 * run itself (a queue coordinator that saw the cost budget reached as the
 * workers paid): never committed, so `--resume` runs it again.
 */
export interface Withdrawn {
  readonly withdrawn: string;
}

export interface RolloutPlace {
  /** Rollouts the loop may keep in flight at once. */
  readonly slots: number;
  /**
   * Run one rollout: its step lines go to `sink`, in order, before the
   * promise resolves. Never rejects for a failure of the rollout itself
   * (that is an `error` rollout); rejects only when the place itself is lost
   * (e.g. the queue's server), which stops the run. A place may return the
   * result itself when the rollout finished without waiting (this process,
   * a scripted agent): the loop then commits it without a promise. Resolves
   * `Withdrawn` when the place stopped the run (the reason): the loop
   * commits nothing of it and starts nothing more.
   */
  run(planned: PlannedRollout, sink: RolloutSink, signal?: AbortSignal): Promise<ExecuteResult | Withdrawn> | ExecuteResult;
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

/** A rollout's end as its rollout line records it (results that come back from elsewhere). */
export function endOfLine(line: string): ExecuteResult['end'] {
  const r = JSON.parse(line) as { termination: 'terminated' | 'truncated' | 'error'; error?: string };
  return r.termination === 'error' ? { termination: 'error', error: r.error ?? 'unknown failure' } : { termination: r.termination };
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

/**
 * Collects step lines as UTF-8 bytes, for a worker process that sends them
 * back whole: encoded once, here, into one growing buffer, so the process
 * that commits them writes them as they are (no string, no parse). Also
 * writes the small binary frames they travel in (u32 fields, text).
 */
export class ByteSink implements StepSink {
  private buf: Buffer;
  /** Bytes used. */
  length = 0;
  /** Step lines appended since the last `reset`. */
  lines = 0;
  constructor(capacity = 1 << 16) {
    this.buf = Buffer.alloc(capacity);
  }
  step(line: string): void {
    this.text(line);
    this.lines++;
  }
  /** Append a string as UTF-8; returns its byte length. */
  text(s: string): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8: room for the worst case, then the exact write.
    this.ensure(3 * s.length);
    const n = this.buf.write(s, this.length);
    this.length += n;
    return n;
  }
  /** Append an unsigned 32-bit field (little-endian); returns its offset, for `setU32`. */
  u32(v: number): number {
    this.ensure(4);
    const at = this.length;
    this.buf.writeUInt32LE(v, at);
    this.length += 4;
    return at;
  }
  setU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }
  /** The bytes from `from` on (a view: valid until the next append or reset). */
  view(from = 0): Buffer {
    return this.buf.subarray(from, this.length);
  }
  /** Start over, keeping the buffer. */
  reset(): void {
    this.length = 0;
    this.lines = 0;
  }
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.length + n, 2 * this.buf.length));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
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
