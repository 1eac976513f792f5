/**
 * openai: any OpenAI-compatible Chat Completions server (vLLM, llama-server,
 * Ollama, the public API) through the `openai` SDK, loaded on the first call.
 * The legal actions are the `act` tool, as for `anthropic`; replies are
 * cached per rollout, so `run --replay` repeats a run without calls. With
 * `seed: rollout` each request carries a seed derived from the rollout's
 * agent seed: a server that honours seeds repeats the run without the cache.
 */
import { z } from 'zod';
import { canonicalJson, hotmessCommand } from '../src/core/index.js';
import {
  actionTool,
  approxTokens,
  defineModelAgent,
  FEEDBACK_TOKENS,
  HistoryWindowSchema,
  isLoopback,
  llmRuntimeOf,
  OpenAISession,
  openaiKeyFrom,
  PUBLIC_OPENAI_URL,
  REPLY_TOKENS,
  systemBlocks,
  TOOL_PROMPT_TOKENS,
  type Price,
} from '../src/llm/index.js';

const Rate = z.number().nonnegative();

export const OpenAIParams = z
  .object({
    model: z.string().min(1).describe('the model name the server knows, e.g. Qwen/Qwen3-8B'),
    baseURL: z.url().optional().describe('defaults to OPENAI_BASE_URL, then the public API'),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('OPENAI_API_KEY').describe('the environment variable holding the API key; not needed for a server on a loopback address'),
    maxTokens: z.number().int().min(1).max(1_000_000).default(1024).describe('most output tokens per reply'),
    temperature: z.number().min(0).max(2).optional().describe("sampling temperature; omitted: the server's default"),
    topP: z.number().gt(0).max(1).optional().describe("nucleus sampling: keep the most likely tokens up to this probability mass; omitted: the server's default"),
    system: z.string().min(1).optional().describe("replaces the default system prompt; the instance's instructions still follow it"),
    history: HistoryWindowSchema.default('full').describe("past steps shown: 'full' or the last K"),
    retries: z.number().int().min(0).max(10).default(2).describe('re-asks within a step after an invalid tool call, before the step is logged invalid'),
    toolChoice: z.enum(['auto', 'required']).default('auto').describe("'required' forces a tool call (Chat Completions' name for it)"),
    maxRetries: z.number().int().min(0).max(20).default(8).describe('retries of a transient fault within a step (connection errors, timeouts, malformed bodies, 408/409/429/5xx), honouring retry-after'),
    retryDelayMs: z.number().int().min(0).max(60_000).default(500).describe('the first backoff when the server names no retry-after; it doubles, up to 8 s'),
    timeoutMs: z.number().int().min(50).max(3_600_000).default(120_000).describe('per-attempt request timeout'),
    price: z.object({ input: Rate, output: Rate, cacheRead: Rate.optional() }).strict().optional().describe('USD per million tokens; a loopback server costs 0 unless given, any other server is unpriced without it'),
    seed: z.enum(['rollout', 'none']).default('rollout').describe("'rollout': send a seed derived from the rollout's agent seed with every request; 'none': send none"),
    logprobs: z.number().int().min(1).max(20).optional().describe("ask for the top-K token log-probabilities and log the chosen action's probability and the candidates' entropy"),
    samples: z.number().int().min(1).max(101).default(1).describe('choices per step with a majority vote (set by `ensemble`); one request with `n` where the server supports it'),
    expectedOutputTokens: z.number().int().min(1).max(1_000_000).optional().describe('output tokens per call assumed by `--dry-run` (default 60)'),
  })
  .strict();

type Params = z.infer<typeof OpenAIParams>;

const baseURLOf = (p: Params, env: NodeJS.ProcessEnv): string => p.baseURL ?? env.OPENAI_BASE_URL ?? PUBLIC_OPENAI_URL;

const ZERO: Price = { input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0 };

/** The agent's price: its `price` param, else 0 on a loopback server, else unknown (null). */
function priceOf(p: Params, baseURL: string): Price | null {
  if (p.price) return { input: p.price.input, output: p.price.output, cacheWrite: p.price.input, cacheWrite1h: p.price.input, cacheRead: p.price.cacheRead ?? p.price.input };
  return isLoopback(baseURL) ? ZERO : null;
}

export default defineModelAgent<Params>({
  kind: 'openai',
  description: 'An OpenAI-compatible server (vLLM, llama-server, Ollama): legal actions as a tool, seeded requests, logprobs, cached replies.',
  params: OpenAIParams,
  access: 'observation',
  usesHistory: true,
  create(p, ctx) {
    const runtime = llmRuntimeOf(ctx);
    const baseURL = baseURLOf(p, process.env);
    const { model, maxTokens, temperature, topP, system, toolChoice, history, logprobs } = p;
    return new OpenAISession({
      settings: { model, maxTokens, temperature, topP, system, toolChoice, history, logprobs },
      retries: p.retries,
      price: priceOf(p, baseURL),
      seed: p.seed,
      samples: p.samples,
      config: () => ({ apiKey: openaiKeyFrom(process.env, p.apiKeyEnv, isLoopback(baseURL)), baseURL, maxRetries: p.maxRetries, retryDelayMs: p.retryDelayMs, timeoutMs: p.timeoutMs }),
      keyEnv: p.apiKeyEnv,
      runtime,
      ctx,
    });
  },
  llm: {
    provider: 'openai',
    replayable: true,
    preflight(p, env) {
      const baseURL = baseURLOf(p, env);
      if (!env[p.apiKeyEnv] && !isLoopback(baseURL)) return `${p.apiKeyEnv} is not set and ${baseURL} is not a local server; export the server's API key (or replay a logged run: ${hotmessCommand('run --replay RUN --out DIR')})`;
      return null;
    },
    estimate(p, sample) {
      const tool = actionTool(sample.space);
      const system = systemBlocks(sample.envName, p.system, sample.instructions).join('\n\n');
      const observationTokens = approxTokens(sample.observation.text);
      return {
        model: p.model,
        price: priceOf(p, baseURLOf(p, process.env)),
        prefixTokens: TOOL_PROMPT_TOKENS + approxTokens(canonicalJson(tool)) + approxTokens(system),
        observationTokens,
        turnTokens: observationTokens + REPLY_TOKENS + FEEDBACK_TOKENS,
        // n choices bill n outputs (and the prompt once).
        outputTokens: (p.expectedOutputTokens ?? 60) * p.samples,
        history: p.history,
        promptCaching: false,
      };
    },
  },
});
