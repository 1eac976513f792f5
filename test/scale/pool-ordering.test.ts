/**
 * `--workers`: a finished rollout travels on the result pipe, the service
 * messages its agent sent (a model agent's ledger lines) on the IPC channel,
 * and the two are not ordered with each other. The main process must not
 * commit a rollout before it has applied every service message the worker
 * sent while running it, or the run could end with a paid reply missing from
 * its ledger (seen as a flaky test under load). Here the worker's agent sends
 * a burst of large messages at every step, so the pipe wins the race unless
 * the pool waits.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAgent } from '../../src/core/index.js';
import { parseScenario, planRollouts, resolveScenario, workerPool, type RolloutSink } from '../../src/engine/index.js';
import kvSum from '../../environments/kv-sum.js';

/** Service messages the worker's agent sends at every step. */
const BURST = 200;
// The main process only plans with it; the worker's own copy runs it.
const chatty = defineAgent({ kind: 'chatty', description: 'see chatty-worker.ts', params: z.object({}).strict(), access: 'privileged', usesHistory: false, create: () => ({ async: false, act: () => null }) });

describe('run --workers: commit order against service messages', () => {
  it('commits a rollout only once every service message sent while it ran has been applied', async () => {
    const spec = parseScenario({ name: 'order', environment: 'kv-sum', horizons: [6], instances: 2, rollouts: 4, seed: 3, agents: [{ name: 'c', kind: 'chatty' }] });
    const s = await resolveScenario(spec, { environments: { 'kv-sum': kvSum }, agents: { chatty } }, null);
    const applied = new Map<string, number>();
    const pool = workerPool({
      entry: new URL('./chatty-worker.ts', import.meta.url),
      workers: 2,
      scenario: { spec: s.spec, file: null },
      services: {
        init: () => ({ burst: BURST }),
        attach: () => ({
          receive: (m) => {
            const id = (m as { rollout: string }).rollout;
            applied.set(id, (applied.get(id) ?? 0) + 1);
          },
          detach: () => undefined,
        }),
      },
    });
    const sink: RolloutSink = { step: () => undefined, bytes: () => undefined };
    try {
      const seen: { id: string; length: number; applied: number }[] = [];
      await Promise.all(
        [...planRollouts(s)].map(async (p) => {
          const r = await pool.run(p, sink, undefined);
          const length = (JSON.parse(r.line) as { length: number }).length;
          seen.push({ id: p.id, length, applied: applied.get(p.id) ?? 0 });
        }),
      );
      expect(seen).toHaveLength(8);
      for (const r of seen) expect(r).toEqual({ id: r.id, length: 6, applied: 6 * BURST });
    } finally {
      await pool.close?.();
    }
  });
});
