/**
 * self-conditioning {epsilon0, growth}: like noisy, but the error rate rises
 * with the agent's own past errors k: ε_k = min(0.9, ε₀ + growth·k). Errors
 * compound: the per-step error rate rises with t (cf. Sinha et al. 2025),
 * but the pair hazard stays flat, since pairs that still agree have made the
 * same errors, almost always none (metrics spec H1; see drifting for a rising hazard).
 */
import { z } from 'zod';
import { actionKey, defineAgent } from '../src/core/index.js';
import { privileged, wrongAction } from '../src/core/index.js';

export const MAX_ERROR_RATE = 0.9;

export default defineAgent({
  kind: 'self-conditioning',
  description: 'Error rate epsilon0 + growth × (own past errors), capped at 0.9.',
  params: z
    .object({
      epsilon0: z.number().min(0).max(1).describe('error rate before its first error'),
      growth: z.number().min(0).max(1).describe('rise of the error rate per error it has made so far'),
    })
    .strict(),
  access: 'privileged',
  usesHistory: false,
  create({ epsilon0, growth }, ctx) {
    const p = privileged(ctx, 'self-conditioning');
    let errors = 0;
    return {
      async: false,
      act(_obs, _history, rng) {
        const correct = p.oracle();
        const epsilon = Math.min(MAX_ERROR_RATE, epsilon0 + growth * errors);
        if (rng.next() >= epsilon) return correct;
        const wrong = wrongAction(p, correct, rng);
        if (actionKey(wrong) !== actionKey(correct)) errors += 1;
        return wrong;
      },
    };
  },
});
