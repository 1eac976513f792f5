/**
 * Model-backed rollouts through the queue: the LLM runtime joined to the
 * queue on both ends. In a worker, a rollout's runtime takes the run's
 * queue-wide permit and a slot of this process's limiter (its 429 backoff)
 * before every HTTP attempt, and keeps every ledger and cache call for the
 * coordinator (it writes nothing). The coordinator sends a resumed
 * rollout's cache file with its job, and applies a finished job's calls to
 * the run's runtime (ledger, cache, budget) before committing the rollout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { AgentServices } from '../core/index.js';
import type { PlannedRollout } from '../engine/index.js';
import { RequestLimiter, remoteRuntime, rolloutFile, runtimeHost, type LlmRuntime, type RuntimeCall } from '../llm/index.js';
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
            return void permit()
              .then(() => local.acquire())
              .then(() => remote.receive({ op: 'grant', id: m.id }));
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

/** The coordinator's side, on the run's runtime. */
export function queueCoordinatorModels(runtime: LlmRuntime): { cacheOf(p: PlannedRollout): { file: string; text: string } | null; onCalls(calls: readonly unknown[]): void } {
  const host = runtimeHost(runtime);
  return {
    cacheOf(p) {
      const dir = runtime.cache.dir;
      if (!dir) return null;
      const file = rolloutFile(dir, p.seeds.agent);
      return existsSync(file) ? { file: basename(file), text: readFileSync(file, 'utf8') } : null;
    },
    onCalls(calls) {
      const link = host.attach(() => undefined);
      for (const c of calls) link.receive(c as RuntimeCall);
      link.detach();
    },
  };
}
