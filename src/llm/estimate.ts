/**
 * `run --dry-run`: what a scenario's model calls would cost, before any call.
 *
 * Method (approximate, and meant to err high):
 * - Text is counted as 1 token per 3 characters (ceil), plus a fixed 350
 *   tokens for the tool-use system prompt the API adds when tools are given.
 * - For each model agent and horizon H, the first observation, instructions
 *   and legal actions of instance 0 stand for every instance.
 * - Every rollout is assumed to run all H steps (none ends early) and no
 *   reply needs a re-ask. Step t shows k = min(t-1, window) past steps, so its
 *   prompt is prefix + k·turn + observation tokens.
 * - Prompt caching: without it, the whole prompt is input. With it, each
 *   rollout's first call writes the prefix (1.25× input price), later calls
 *   read it (cache-read price). With the full history the conversation is
 *   cached too: step t reads step t-1's prompt and writes the difference.
 *   A prefix shorter than the model's minimum cacheable length (price
 *   table) is not cached: it is billed as input. Rollouts of a group share
 *   an instance, hence a prefix, but each is assumed to write its own.
 * Pure: it resets environments to observe them, and calls nothing.
 */
import type { AnyEnvironment, Rng } from '../core/index.js';
import { modelAgentOf, type CallShape, type PromptSample, type ScenarioAgent } from './model-agent.js';
import { batchPrice, costUsd, roundUsd } from './prices.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from './usage.js';

/** Approximate tokens of a text: 1 per 3 characters, rounded up. */
export const approxTokens = (text: string): number => Math.ceil(text.length / 3);

/** Tokens the API adds for tool use (its own system prompt). */
export const TOOL_PROMPT_TOKENS = 350;
/** A reply as shown again in later turns (a short text and the tool call), and the feedback on it. */
export const REPLY_TOKENS = 40;
export const FEEDBACK_TOKENS = 10;

/**
 * Output tokens assumed per call: 60 for the text and the tool call, plus the
 * thinking budget when one is set, or 500 for adaptive thinking; capped by
 * max_tokens. Models that think by default cost more: set `thinking`.
 */
export function assumedOutputTokens(thinking: 'adaptive' | 'disabled' | number | undefined, maxTokens: number): number {
  const think = typeof thinking === 'number' ? thinking : thinking === 'adaptive' ? 500 : 0;
  return Math.min(maxTokens, 60 + think);
}

/** The minimum cacheable length assumed for a model without a price entry (the largest published). */
const MIN_CACHE_UNKNOWN = 4096;

/** Tokens of the call at step t (1-based) of a rollout. */
export function callTokens(shape: CallShape, t: number): TokenUsage {
  const window = shape.history === 'full' ? Infinity : shape.history;
  const promptAt = (s: number) => shape.prefixTokens + Math.min(s - 1, window) * shape.turnTokens + shape.observationTokens;
  const prompt = promptAt(t);
  const output = shape.outputTokens;
  const uncached: TokenUsage = { input: prompt, output, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
  if (!shape.promptCaching) return uncached;
  const min = shape.price?.minCacheTokens ?? MIN_CACHE_UNKNOWN;
  const prefixCached = shape.prefixTokens >= min;
  if (shape.history === 'full') {
    // Breakpoints after the prefix and after the newest turn; each caches only when long enough.
    const previous = t > 1 ? promptAt(t - 1) : 0;
    const read = t > 1 && previous >= min ? previous : t > 1 && prefixCached ? shape.prefixTokens : 0;
    const end = prompt >= min ? prompt : prefixCached ? shape.prefixTokens : read;
    const write = end - read;
    return { input: prompt - read - write, output, cacheRead: read, cacheWrite: write, cacheWrite1h: 0 };
  }
  if (!prefixCached) return uncached;
  const rest = prompt - shape.prefixTokens;
  return t === 1
    ? { input: rest, output, cacheRead: 0, cacheWrite: shape.prefixTokens, cacheWrite1h: 0 }
    : { input: rest, output, cacheRead: shape.prefixTokens, cacheWrite: 0, cacheWrite1h: 0 };
}

/** Token totals of one rollout of `steps` steps. */
export function rolloutTokens(shape: CallShape, steps: number): TokenUsage {
  let total = ZERO_USAGE;
  for (let t = 1; t <= steps; t++) total = addUsage(total, callTokens(shape, t));
  return total;
}

/** USD of one rollout, priced call by call (long-prompt tiers apply per call); null without a price. */
export function rolloutCost(shape: CallShape, steps: number): number | null {
  if (!shape.price) return null;
  let usd = 0;
  for (let t = 1; t <= steps; t++) usd += costUsd(shape.price, callTokens(shape, t));
  return roundUsd(usd);
}

export interface EstimateRow {
  readonly agent: string;
  readonly model: string;
  readonly horizon: number;
  readonly rollouts: number;
  readonly steps: number;
  readonly tokens: TokenUsage;
  /** Null when the model has no price. */
  readonly costUsd: number | null;
  /** With `--batch`, for agents that run through Message Batches: the cost at the batch price. */
  readonly batchUsd?: number | null;
}

export interface RunEstimate {
  readonly rows: EstimateRow[];
  readonly totalUsd: number | null;
  /** With `--batch`: the total with batched agents at the batch price (the others at theirs). */
  readonly totalBatchUsd?: number | null;
  readonly totalTokens: TokenUsage;
  readonly method: string;
}

export interface EstimateInput {
  readonly env: AnyEnvironment;
  readonly envParams: unknown;
  /** The stream instance 0 at horizon H is reset with (the engine derives it: instanceRng). */
  readonly instance0: (horizon: number) => Rng;
  readonly agents: readonly ScenarioAgent[];
  readonly horizons: readonly number[];
  readonly instances: number;
  readonly rollouts: number;
}

export const ESTIMATE_METHOD =
  '1 token per 3 characters (+350 for tool use); instance 0 stands for all; every rollout runs all H steps with no re-asks; cache writes at 1.25x input and reads at the cache-read price, above the model minimum cacheable length';

export function estimateRun(input: EstimateInput, batch = false): RunEstimate {
  const rows: EstimateRow[] = [];
  let totalUsd: number | null = 0;
  let totalBatchUsd: number | null = 0;
  let totalTokens = ZERO_USAGE;
  for (const a of input.agents) {
    const m = modelAgentOf(a);
    if (!m) continue;
    for (const h of input.horizons) {
      const state = input.env.reset(input.envParams, h, input.instance0(h));
      const sample: PromptSample = { envName: input.env.name, instructions: input.env.instructions?.(state), observation: input.env.observe(state), space: input.env.actions(state) };
      const shape = m.def.llm.estimate(m.params, sample);
      const n = input.instances * input.rollouts;
      const one = rolloutTokens(shape, h);
      const tokens = scale(one, n);
      const oneUsd = rolloutCost(shape, h);
      const usd = oneUsd === null ? null : roundUsd(oneUsd * n);
      const row: EstimateRow = { agent: a.name, model: shape.model, horizon: h, rollouts: n, steps: n * h, tokens, costUsd: usd };
      let atBatch = usd;
      if (batch && m.def.llm.batchTarget) {
        const one = shape.price ? rolloutCost({ ...shape, price: batchPrice(shape.price) }, h) : null;
        atBatch = one === null ? null : roundUsd(one * n);
        rows.push({ ...row, batchUsd: atBatch });
      } else rows.push(row);
      totalTokens = addUsage(totalTokens, tokens);
      totalUsd = totalUsd === null || usd === null ? null : roundUsd(totalUsd + usd);
      totalBatchUsd = totalBatchUsd === null || atBatch === null ? null : roundUsd(totalBatchUsd + atBatch);
    }
  }
  return { rows, totalUsd, totalTokens, method: ESTIMATE_METHOD, ...(batch ? { totalBatchUsd } : {}) };
}

const scale = (u: TokenUsage, n: number): TokenUsage => ({ input: u.input * n, output: u.output * n, cacheRead: u.cacheRead * n, cacheWrite: u.cacheWrite * n, cacheWrite1h: u.cacheWrite1h * n });
