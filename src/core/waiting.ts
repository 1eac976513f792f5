/**
 * A request queued for an answer that may be sent more than once: a
 * rollout waiting for a worker process (engine/pool.ts), a model request
 * waiting for a Message Batch (llm/anthropic/batcher.ts). Both settle the
 * caller's promise exactly once and give up after a limit of attempts.
 */
export interface Waiting<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (e: unknown) => void;
  /** Times it was sent so far (a worker that died, a batch that expired). */
  attempts: number;
}
