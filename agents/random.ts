/** random: a uniformly random legal action at every step (documented perturbation on numeric spaces). */
import { z } from 'zod';
import { defineAgent } from '../src/core/index.js';
import { privileged, randomAction } from '../src/core/index.js';

export default defineAgent({
  kind: 'random',
  description: 'Uniformly random legal action each step.',
  params: z.object({}).strict(),
  access: 'privileged',
  usesHistory: false,
  create(_params, ctx) {
    const p = privileged(ctx, 'random');
    return { async: false, act: (_obs, _history, rng) => randomAction(p, rng) };
  },
});
