/**
 * mixed {rate, epsilon}: the biased agent's deterministic deviation at a
 * fraction `rate` of (state, step) pairs, keyed by hash exactly as biased,
 * so it is the same in every rollout that reaches the state; elsewhere
 * noisy with ε. Bias² comes from the fixed deviations plus the noise's
 * mean shift, variance from the noise alone (metrics spec H1). rate = 0
 * is noisy; ε = 0 is biased. On a state with m legal actions the pair
 * agreement is q = rate + (1−rate)·((1−ε)² + ε²/(m−1)) and the step
 * accuracy (1−rate)(1−ε).
 */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, stateFraction, systematicAction, wrongAction } from '../src/core/index.js';

export default defineAgent({
  kind: 'mixed',
  description: 'Deterministic deviation at a fraction `rate` of (state, step) pairs, as biased; noisy with epsilon elsewhere.',
  params: z
    .object({
      rate: z.number().min(0).max(1).describe("fraction of (state, step) pairs with biased's fixed deviation (the bias)"),
      epsilon: z.number().min(0).max(1).describe('chance per step of a random wrong action elsewhere (the variance)'),
    })
    .strict(),
  access: 'privileged',
  usesHistory: false,
  create({ rate, epsilon }, ctx) {
    const p = privileged(ctx, 'mixed');
    const { env } = p;
    return {
      async: false,
      act(_obs, _history, rng) {
        const correct = p.oracle();
        // The noise draw comes first and always, so the stream's use does not depend on the deviation.
        const noisy = rng.next() < epsilon;
        // Salt 'biased': mixed deviates exactly where a biased agent of the same rate would.
        if (stateFraction(`${env.hash(p.state())}@${p.step()}`, 'biased') < rate) return systematicAction(p, correct);
        return noisy ? wrongAction(p, correct, rng) : correct;
      },
    };
  },
});
