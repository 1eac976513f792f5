/**
 * biased {rate}: deviates at a deterministic subset of states (a fraction
 * `rate` of them, chosen by state hash) with the environment's systematic
 * error. Every rollout makes the same deviations: variance 0, bias² > 0.
 */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, stateFraction, systematicAction } from '../src/core/index.js';

export default defineAgent({
  kind: 'biased',
  description: 'Same deterministic deviation in every rollout, at a fraction `rate` of states.',
  params: z.object({ rate: z.number().min(0).max(1).default(0.2) }).strict(),
  access: 'privileged',
  usesHistory: false,
  create({ rate }, ctx) {
    const p = privileged(ctx, 'biased');
    const { env } = p;
    return {
      async: false,
      act() {
        const state = p.state();
        const correct = p.oracle();
        return stateFraction(env.hash(state), 'biased') < rate ? systematicAction(p, correct) : correct;
      },
    };
  },
});
