/**
 * local: a GGUF model run in-process by node-llama-cpp (pinned 3.21.1,
 * imported only when a local agent is created; CPU only, never a download
 * or a build). Each step the model reads the same task an `anthropic` agent
 * reads and replies `{"action": …}` under a JSON-schema grammar built from
 * the legal actions. Sampling is seeded from the rollout's agent stream:
 * unlike the Anthropic API, a local rollout is reproducible from its seed
 * (on the same machine and llama.cpp build). The model file is loaded once
 * per path per process and shared by all rollouts; each rollout has its own
 * context.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { approxTokens, defineModelAgent, FEEDBACK_TOKENS, HistoryWindowSchema, REPLY_TOKENS, type Price } from '../src/llm/index.js';
import { chatItems, type ChatItem } from '../src/llm/local/index.js';
import { assertInstalled, INSTALL_HINT } from '../src/llm/local/index.js';
import { LocalSession } from '../src/llm/local/index.js';

const Params = z
  .object({
    model: z.string().min(1).describe('path of the GGUF file; a relative path resolves against the current directory'),
    temperature: z.number().min(0).max(2).default(1).describe('sampling temperature; 0 is greedy (every rollout of a group identical)'),
    topK: z.number().int().min(0).max(100_000).default(40).describe('sample among the K most likely tokens; 0 disables top-k'),
    topP: z.number().gt(0).max(1).default(0.95).describe('nucleus sampling: keep the most likely tokens up to this probability mass; 1 disables it'),
    maxTokens: z.number().int().min(1).max(32_768).default(256).describe('reply length cap; a reply cut here is logged as an invalid step'),
    history: HistoryWindowSchema.default('full').describe("past steps shown: 'full' or the last K"),
    contextSize: z.number().int().min(64).max(1 << 20).default(4096).describe('the context window per rollout, in tokens; when the chat outgrows it, the oldest turns are dropped'),
    threads: z.number().int().min(1).max(1024).optional().describe("CPU threads per rollout; default: node-llama-cpp's (the machine's math cores)"),
    system: z.string().min(1).optional().describe("replaces the default system prompt; the instance's instructions still follow it"),
  })
  .strict();

type Params = z.infer<typeof Params>;

/** Local calls cost nothing: they count in token totals at $0. */
const FREE: Price = { input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0 };

/** The model's absolute path, or why it cannot be used. */
function modelProblem(model: string): string | null {
  const path = resolve(model);
  if (!existsSync(path)) return `model file not found: ${path} (a relative path resolves against the current directory)`;
  if (!statSync(path).isFile()) return `model path is not a file: ${path}`;
  return null;
}

export default defineModelAgent<Params>({
  kind: 'local',
  description: 'A GGUF model via node-llama-cpp: grammar-constrained JSON actions, sampling seeded per rollout.',
  params: Params as unknown as z.ZodType<Params>,
  access: 'observation',
  usesHistory: true,
  create(p, ctx) {
    assertInstalled();
    return new LocalSession(
      {
        modelPath: resolve(p.model),
        temperature: p.temperature,
        topK: p.topK,
        topP: p.topP,
        maxTokens: p.maxTokens,
        history: p.history,
        contextSize: p.contextSize,
        threads: p.threads,
        system: p.system,
      },
      ctx,
    );
  },
  llm: {
    provider: 'local',
    preflight(p) {
      try {
        assertInstalled();
      } catch {
        return `node-llama-cpp is not installed; run: ${INSTALL_HINT}`;
      }
      return modelProblem(p.model);
    },
    estimate(p, sample) {
      const [system, ...rest] = chatItems({ ...sample, system: p.system, window: p.history, history: [] });
      const observationTokens = approxTokens(sample.observation.text);
      const text = (x: ChatItem): string => ('text' in x ? x.text : '');
      return {
        model: p.model,
        price: FREE,
        prefixTokens: approxTokens(text(system)),
        observationTokens: Math.max(observationTokens, ...rest.map((x) => approxTokens(text(x)))),
        turnTokens: observationTokens + REPLY_TOKENS + FEEDBACK_TOKENS,
        outputTokens: REPLY_TOKENS,
        history: p.history,
        promptCaching: false,
      };
    },
  },
});

export { disposeLocalModels } from '../src/llm/local/index.js';
