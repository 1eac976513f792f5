/**
 * drifting {epsilon0, slope, cap}: like noisy, but the error rate is a
 * function of the step alone, ε(t) = min(ε₀ + slope·(t−1), cap). Unlike
 * self-conditioning, two rollouts that still agree face the same rising
 * rate, so the pair hazard rises with t (metrics spec H1):
 * h(t) = 1 − q(t), q(t) = (1−ε(t))² + ε(t)²/(m−1).
 *
 * Optional `rate` (default 0) adds mixed's fixed deviation at that rate of
 * (state, step) pairs: a bias that stays while the noise grows with t, so
 * incoherence rises with the horizon (scenarios/paper/incoherence-horizon.yaml).
 */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, stateFraction, systematicAction, wrongAction } from '../src/core/index.js';

/** ε(t) for t counting from 1: the closed form the calibration checks against. */
export const driftingRate = (t: number, epsilon0: number, slope: number, cap: number): number => Math.min(epsilon0 + slope * (t - 1), cap);

export default defineAgent({
  kind: 'drifting',
  description: 'Error rate rising with the step: min(epsilon0 + slope·(t−1), cap); errors drawn like noisy. Optional rate: a fixed deviation as mixed.',
  params: z
    .object({
      epsilon0: z.number().min(0).max(1).describe('error rate at step 1'),
      slope: z.number().min(0).max(1).describe('rise of the error rate per step: ε(t) = epsilon0 + slope·(t−1)'),
      cap: z.number().min(0).max(1).default(0.9).describe('most the error rate rises to'),
      rate: z.number().min(0).max(1).default(0).describe("fraction of (state, step) pairs with mixed's fixed deviation: a bias that stays while the noise grows"),
    })
    .strict()
    .refine((p) => p.cap >= p.epsilon0, { message: 'cap must be at least epsilon0', path: ['cap'] }),
  access: 'privileged',
  usesHistory: false,
  create({ epsilon0, slope, cap, rate }, ctx) {
    const p = privileged(ctx, 'drifting');
    const { env } = p;
    return {
      async: false,
      act(_obs, _history, rng) {
        const correct = p.oracle();
        const epsilon = driftingRate(p.step() + 1, epsilon0, slope, cap);
        // One draw per step whatever the outcome, as noisy.
        const noisy = rng.next() < epsilon;
        // The same hash and salt as biased and mixed: deviations where they would deviate.
        if (rate > 0 && stateFraction(`${env.hash(p.state())}@${p.step()}`, 'biased') < rate) return systematicAction(p, correct);
        return noisy ? wrongAction(p, correct, rng) : correct;
      },
    };
  },
});
