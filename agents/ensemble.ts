/**
 * ensemble {inner, samples}: at every step, draws `samples` actions from the
 * inner agent and takes the majority (ties: the earliest-drawn). Per-step
 * ensembling of the Hot Mess paper; it should cut variance, not bias.
 * Inner agents are scripted, or `openai`: that one asks for the samples as
 * `n` choices of one request (see agents/openai.ts) and votes itself.
 */
import { z } from 'zod';
import { actionKey, defineAgent, HotmessError, type Action } from '../src/core/index.js';
import { privileged } from '../src/core/index.js';
import type { ModelAgentUse, WrapsModelAgent } from '../src/llm/index.js';
import openai from './openai.js';

const Inner = z.union([z.string(), z.object({ kind: z.string(), params: z.record(z.string(), z.unknown()).default({}) })]);

type Params = { inner: z.infer<typeof Inner>; samples: number };

/** The `openai` agent an ensemble of it runs, with `samples` choices per step. */
function innerModel({ inner, samples }: Params): ModelAgentUse | null {
  if (typeof inner === 'string' || inner.kind !== openai.kind) return null;
  return { def: openai, params: openai.params.parse({ ...inner.params, samples }) };
}

const ensemble = defineAgent<Params>({
  kind: 'ensemble',
  description: 'Majority vote of `samples` draws from an inner scripted agent at every step.',
  params: z
    .object({
      inner: Inner.describe('the agent voted over: a scripted kind name, or {kind, params} (also kind openai)'),
      samples: z.number().int().min(1).max(101).describe('draws per step; the majority wins, ties go to the earliest'),
    })
    .strict(),
  access: 'privileged',
  usesHistory: (p) => innerModel(p) !== null,
  innerAgents: ({ inner }) => [
    typeof inner === 'string'
      ? { kind: inner, params: {}, path: 'inner', scriptedOnly: true }
      : { kind: inner.kind, params: inner.params, path: 'inner', scriptedOnly: inner.kind !== openai.kind },
  ],
  create(params, ctx) {
    const { inner, samples } = params;
    const model = innerModel(params);
    if (model) return model.def.create(model.params, ctx);
    const p = privileged(ctx, 'ensemble');
    const spec = typeof inner === 'string' ? { kind: inner, params: {} } : inner;
    const agent = p.createInner(spec.kind, spec.params);
    if (agent.async) throw new HotmessError('agent', `ensemble: inner agent "${spec.kind}" is asynchronous; only scripted inner agents are supported`);
    const keys: string[] = new Array(samples);
    const actions: Action[] = new Array(samples);
    return {
      async: false,
      act(obs, history, rng) {
        for (let i = 0; i < samples; i++) {
          actions[i] = agent.act(obs, history, rng);
          keys[i] = actionKey(actions[i]);
        }
        let best = 0;
        let bestCount = 0;
        for (let i = 0; i < samples; i++) {
          let c = 0;
          for (let j = 0; j < samples; j++) if (keys[j] === keys[i]) c++;
          if (c > bestCount) {
            bestCount = c;
            best = i;
          }
        }
        return actions[best];
      },
    };
  },
});

export default Object.assign(ensemble, { innerModel } satisfies WrapsModelAgent<Params>);
