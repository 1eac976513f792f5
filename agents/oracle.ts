/** oracle: always takes the environment's correct action. Every error term is 0. */
import { z } from 'zod';
import { defineAgent, HotmessError } from '../src/core/index.js';

export default defineAgent({
  kind: 'oracle',
  description: "Always takes the environment's oracle action.",
  params: z.object({}).strict(),
  access: 'privileged',
  usesHistory: false,
  create(_params, ctx) {
    if (ctx.access !== 'privileged') throw new HotmessError('agent', 'oracle agent needs privileged access');
    return { async: false, act: () => ctx.oracle() };
  },
});
