/**
 * anthropic: Claude through the Messages API (@anthropic-ai/sdk, loaded on
 * the first call). The legal actions are the `act` tool; each step sends
 * the observation and the history window and validates the tool call it
 * gets back. Replies are cached per rollout under the run directory, so a
 * resumed run re-reads instead of re-buying and `run --replay` repeats a run
 * without calls. The API takes no seed: the agent seed only names the
 * rollout's cache namespace.
 */
import { z } from 'zod';
import { canonicalJson, hotmessCommand } from '../src/core/index.js';
import {
  actionTool,
  AnthropicSession,
  apiKeyFrom,
  approxTokens,
  batchPrice,
  assumedOutputTokens,
  defineModelAgent,
  FEEDBACK_TOKENS,
  HistoryWindowSchema,
  llmRuntimeOf,
  priceFor,
  REPLY_TOKENS,
  systemBlocks,
  TOOL_PROMPT_TOKENS,
} from '../src/llm/index.js';

const Rate = z.number().nonnegative();

const Params = z
  .object({
    model: z.string().min(1).describe('model id, e.g. claude-sonnet-5-5'),
    maxTokens: z.number().int().min(1).max(128_000).default(1024).describe('most output tokens per reply'),
    temperature: z.number().min(0).max(1).optional().describe("sampling temperature; omitted: the server's default"),
    topP: z.number().gt(0).max(1).optional().describe("nucleus sampling: keep the most likely tokens up to this probability mass; omitted: the server's default"),
    system: z.string().min(1).optional().describe("replaces the default system prompt; the instance's instructions still follow it"),
    thinking: z.union([z.literal('adaptive'), z.literal('disabled'), z.number().int().min(1024)]).optional().describe("a thinking budget in tokens (extended thinking), 'adaptive', or 'disabled'; omitted: the model's default"),
    effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).optional().describe("how much effort the model spends (the API's `effort`); omitted: the model's default"),
    history: HistoryWindowSchema.default('full').describe("past steps shown: 'full' or the last K"),
    promptCaching: z.boolean().default(true).describe('mark the prompt prefix for caching, so later calls of a rollout read it at the cache price'),
    retries: z.number().int().min(0).max(10).default(2).describe('re-asks within a step after an invalid tool call, before the step is logged invalid'),
    toolChoice: z.enum(['auto', 'any']).default('auto').describe("'any' forces a tool call; some models refuse forced tool use (and none allow it with thinking)"),
    maxRetries: z.number().int().min(0).max(20).default(8).describe('retries of a transient fault within a step (429, 5xx, 408/409, a dropped connection, a malformed body, a timeout); honours retry-after'),
    retryDelayMs: z.number().int().min(0).max(60_000).default(500).describe('first backoff between those retries when the server names no retry-after; doubles up to 8 s'),
    timeoutMs: z.number().int().min(50).max(3_600_000).default(120_000).describe('per-attempt request timeout'),
    httpClient: z.enum(['node', 'fetch']).default('node').describe("the SDK's HTTP transport: hotmess's lean HTTP/1.1 client with keep-alive (half of node:http's CPU per call or less), or the built-in fetch"),
    baseURL: z.url().optional().describe('defaults to ANTHROPIC_BASE_URL, then the public API'),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('ANTHROPIC_API_KEY').describe('the environment variable holding the API key (the key itself never goes in a scenario)'),
    price: z.object({ input: Rate, output: Rate, cacheWrite: Rate.optional(), cacheWrite1h: Rate.optional(), cacheRead: Rate.optional() }).strict().optional().describe('USD per million tokens, overriding the price table (needed for models it does not list)'),
    expectedOutputTokens: z.number().int().min(1).max(1_000_000).optional().describe('output tokens per call assumed by `--dry-run` (default: 60, plus thinking)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const thinks = p.thinking !== undefined && p.thinking !== 'disabled';
    if (typeof p.thinking === 'number' && p.thinking >= p.maxTokens) ctx.addIssue({ code: 'custom', path: ['thinking'], message: `the thinking budget (${p.thinking}) must be below maxTokens (${p.maxTokens})` });
    if (thinks && (p.temperature !== undefined || p.topP !== undefined)) ctx.addIssue({ code: 'custom', path: ['thinking'], message: 'the API refuses temperature/topP together with thinking; drop one' });
    if (thinks && p.toolChoice === 'any') ctx.addIssue({ code: 'custom', path: ['toolChoice'], message: 'the API refuses forced tool use (toolChoice: any) with thinking' });
  });

type Params = z.infer<typeof Params>;

const configOf = (p: Params, env: NodeJS.ProcessEnv) => ({ apiKey: apiKeyFrom(env, p.apiKeyEnv), baseURL: p.baseURL, maxRetries: p.maxRetries, retryDelayMs: p.retryDelayMs, timeoutMs: p.timeoutMs, httpClient: p.httpClient });

export default defineModelAgent<Params>({
  kind: 'anthropic',
  description: 'Claude via the Messages API: legal actions as a tool, cached replies, cost per step.',
  params: Params,
  access: 'observation',
  usesHistory: true,
  create(p, ctx) {
    const runtime = llmRuntimeOf(ctx);
    const price = priceFor(p.model, p.price);
    const { model, maxTokens, temperature, topP, system, thinking, effort, toolChoice, promptCaching, history } = p;
    return new AnthropicSession({
      settings: { model, maxTokens, temperature, topP, system, thinking, effort, toolChoice, promptCaching, history },
      retries: p.retries,
      // Message Batches bill half of every rate.
      price: price && runtime.batchPricing ? batchPrice(price) : price,
      config: () => configOf(p, process.env),
      keyEnv: p.apiKeyEnv,
      runtime,
      ctx,
    });
  },
  llm: {
    provider: 'anthropic',
    replayable: true,
    batchTarget: (p, env) => ({ config: configOf(p, env), price: priceFor(p.model, p.price) }),
    preflight(p, env) {
      if (!env[p.apiKeyEnv]) return `${p.apiKeyEnv} is not set; export your Anthropic API key (or replay a logged run: ${hotmessCommand('run --replay RUN --out DIR')})`;
      return null;
    },
    estimate(p, sample) {
      const tool = actionTool(sample.space);
      const system = systemBlocks(sample.envName, p.system, sample.instructions).join('\n\n');
      const observationTokens = approxTokens(sample.observation.text);
      return {
        model: p.model,
        price: priceFor(p.model, p.price),
        prefixTokens: TOOL_PROMPT_TOKENS + approxTokens(canonicalJson(tool)) + approxTokens(system),
        observationTokens,
        turnTokens: observationTokens + REPLY_TOKENS + FEEDBACK_TOKENS,
        outputTokens: p.expectedOutputTokens ?? assumedOutputTokens(p.thinking, p.maxTokens),
        history: p.history,
        promptCaching: p.promptCaching,
      };
    },
  },
});
