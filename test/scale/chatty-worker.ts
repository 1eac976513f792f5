/**
 * A worker entry for pool-ordering.test.ts: kv-sum with a `chatty` agent
 * that, at every step, sends a burst of service messages to the main
 * process (as a model agent's ledger lines go) before the rollout's frame is
 * written, so the IPC channel lags far behind the result pipe. The burst's
 * size comes from the main process (the pool's `services.init()`).
 */
import { z } from 'zod';
import { defineAgent } from '../../src/core/index.js';
import { serveRollouts } from '../../src/engine/index.js';
import kvSum from '../../environments/kv-sum.js';

const PADDING = 'x'.repeat(4096);

const chatty = defineAgent({
  kind: 'chatty',
  description: 'the oracle, sending a burst of service messages each step',
  params: z.object({}).strict(),
  access: 'privileged',
  usesHistory: false,
  create(_params, ctx) {
    if (ctx.access !== 'privileged') throw new Error('chatty needs privileged access');
    const say = ctx.services?.say as ((m: unknown) => void) | undefined;
    const burst = (ctx.services?.burst as number | undefined) ?? 0;
    return {
      async: false,
      act: () => {
        for (let i = 0; i < burst; i++) say?.({ rollout: ctx.rollout.id, t: ctx.step() + 1, i, padding: PADDING });
        return ctx.oracle();
      },
    };
  },
});

serveRollouts({ environments: { 'kv-sum': kvSum }, agents: { chatty } }, { services: (init, send) => ({ services: { say: send, burst: (init as { burst: number }).burst }, receive: () => undefined }) });
