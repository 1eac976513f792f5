/**
 * Model-backed rollouts in a queue worker: the LLM runtime joined to the
 * queue. A rollout's runtime takes the run's permit (calls recorded, run not
 * stopped, queue-wide rate) and a slot of this process's limiter (its 429
 * backoff) before every HTTP attempt, and sends every ledger and cache call
 * to the run's call stream for the coordinator (it writes nothing). The
 * coordinator's side is in queue/calls.ts.
 */
import type { AgentServices } from '../core/index.js';
import { RequestLimiter, remoteRuntime } from '../llm/index.js';
import type { QueueModelContext } from '../queue/index.js';

/** A worker's side: the services of one model-backed rollout. */
export function queueWorkerModels(): (ctx: QueueModelContext) => AgentServices {
  // This process's limiter: a 429 pauses every rollout of this worker, as in one process.
  const local = new RequestLimiter();
  return ({ permit, record, cacheText }) => {
    const remote = remoteRuntime(
      { cacheDir: 'cache', replayFrom: null, batchPricing: false, halted: null },
      (m) => {
        switch (m.op) {
          case 'acquire':
            // A refused permit (the run was stopped) aborts the rollout, which rejects this acquire.
            return void permit()
              .then(() => local.acquire())
              .then(() => remote.receive({ op: 'grant', id: m.id }))
              .catch(() => undefined);
          case 'release':
            return local.release();
          case 'overloaded':
            return local.overloaded(m.retryAfterMs);
          case 'succeeded':
            return local.succeeded();
          default:
            return record(m);
        }
      },
      cacheText,
    );
    return remote.runtime.services();
  };
}
