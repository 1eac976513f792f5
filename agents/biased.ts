/**
 * biased {rate}: deviates at a deterministic fraction `rate` of (state, step)
 * pairs, chosen by hash, with the environment's systematic error. Every
 * rollout makes the same deviations: variance 0, bias² > 0. Keying on the
 * step as well as the state keeps a deviation from repeating forever when
 * the oracle leads straight back to the state it left (a maze N/S shuttle).
 */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, stateFraction, systematicAction } from '../src/core/index.js';

export default defineAgent({
  kind: 'biased',
  description: 'Same deterministic deviation in every rollout, at a fraction `rate` of (state, step) pairs.',
  params: z.object({ rate: z.number().min(0).max(1).default(0.2).describe('fraction of (state, step) pairs where it deviates, the same way in every rollout') }).strict(),
  access: 'privileged',
  usesHistory: false,
  create({ rate }, ctx) {
    const p = privileged(ctx, 'biased');
    const { env } = p;
    return {
      async: false,
      act() {
        const correct = p.oracle();
        return stateFraction(`${env.hash(p.state())}@${p.step()}`, 'biased') < rate ? systematicAction(p, correct) : correct;
      },
    };
  },
});
