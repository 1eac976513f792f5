/**
 * noisy {epsilon}: the oracle action with probability 1−ε; otherwise an error
 * drawn uniformly from the other legal actions (numeric spaces: the
 * environment's `perturb`). Memoryless, so the pair hazard is flat:
 * q = (1−ε)² + ε²/(m−1).
 */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, wrongAction } from '../src/core/index.js';

export default defineAgent({
  kind: 'noisy',
  description: 'Oracle action with probability 1−epsilon, else a uniformly drawn wrong action.',
  params: z.object({ epsilon: z.number().min(0).max(1).describe('chance per step of a wrong action, drawn afresh in every rollout') }).strict(),
  access: 'privileged',
  usesHistory: false,
  create({ epsilon }, ctx) {
    const p = privileged(ctx, 'noisy');
    return {
      async: false,
      act(_obs, _history, rng) {
        const correct = p.oracle();
        // Always one draw per step, so the stream's use does not depend on the outcome.
        return rng.next() < epsilon ? wrongAction(p, correct, rng) : correct;
      },
    };
  },
});
