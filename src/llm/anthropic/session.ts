/**
 * One rollout of an Anthropic-backed agent: each step builds the request
 * from the rollout so far, answers it from the response cache or the API,
 * and validates the tool call against the legal actions. An invalid call is
 * re-asked with the reason up to `retries` times within the step; after that
 * the invalid action goes to the engine, which logs a no-op step with
 * `invalid`. Per-step tokens, cost, request id, stop reason, thinking length
 * and text go into `report().info`; latency into `timing`.
 */
import { HotmessError, type Action, type AgentContext, type AsyncAgent, type History, type Json, type Observation, type RolloutReport, type StepReport } from '../../core/index.js';
import { CacheMissError, cacheKey, type RolloutCache } from '../cache.js';
import { Tally } from '../meter.js';
import { costUsd, type Price } from '../prices.js';
import { NO_TOOL_CALL } from '../prompt.js';
import type { LlmRuntime } from '../runtime.js';
import { readToolInput, type ToolReply } from '../tools.js';
import { usageFromAnthropic } from '../usage.js';
import type { AnthropicConfig, MessagesReply } from './client.js';
import { ApiCallError, fatalReason } from './faults.js';
import { batchCustomId } from './batcher.js';
import { buildRequest, type RequestSettings, type RetryTurn } from './request.js';
import { parseReply } from './response.js';

export interface SessionInit {
  readonly settings: RequestSettings;
  /** Re-asks within a step after an invalid tool call. */
  readonly retries: number;
  readonly price: Price | null;
  /** Builds the client config (reads the API key) on the first live call. */
  readonly config: () => AnthropicConfig;
  /** The environment variable the key is read from, named when the API refuses it. */
  readonly keyEnv: string;
  readonly runtime: LlmRuntime;
  readonly ctx: AgentContext;
}

export class AnthropicSession implements AsyncAgent {
  readonly async = true;
  private readonly turns = new Map<number, readonly Json[]>();
  private readonly cache: RolloutCache;
  private readonly tally = new Tally();
  private invalidReplies = 0;
  private instructions: { text: string | undefined } | null = null;
  private last: StepReport | undefined;

  constructor(private readonly init: SessionInit) {
    this.cache = init.runtime.cache.forRollout(init.ctx.rollout.agentSeed);
    // A fork's replayed steps go back to the model as the replies the source rollout really got.
    for (const [t, message] of init.runtime.prefixReplies()) {
      try {
        this.turns.set(t, parseReply(message).content);
      } catch {
        // Not a message: the step is shown as its bare tool call instead.
      }
    }
  }

  async act(observation: Observation, history: History, _rng: unknown, signal: AbortSignal): Promise<Action> {
    const { settings, runtime, ctx, price } = this.init;
    this.last = undefined;
    const t = (history.length > 0 ? history[history.length - 1].t : 0) + 1;
    const space = ctx.legal();
    this.instructions ??= { text: ctx.access === 'observation' ? ctx.instructions?.() : undefined };
    const retries: RetryTurn[] = [];
    const retried: Json[] = [];
    const step = new Tally();
    let thinkingChars = 0;
    let thinkingTokens: number | null = null;
    let latencyMs = 0;
    let live = 0;
    let hits = 0;
    for (let attempt = 0; ; attempt++) {
      const request = buildRequest({ settings, envName: ctx.envName, instructions: this.instructions.text, space, history, turns: this.turns, observation, retries });
      const key = cacheKey({ model: settings.model, request, agentSeed: ctx.rollout.agentSeed, index: ctx.rollout.index, t, attempt });
      let reply = this.cache.get(key) as MessagesReply | undefined;
      if (reply !== undefined) {
        hits++;
        runtime.meter.recordHit();
      } else {
        if (runtime.replaying) {
          const what = `rollout ${ctx.rollout.id} step ${t} attempt ${attempt + 1}`;
          runtime.misses.push(what);
          throw new CacheMissError(what);
        }
        const config = this.init.config();
        const batcher = runtime.batcher;
        const caller = batcher ? null : await runtime.anthropic(config);
        const started = Date.now();
        try {
          if (runtime.halted) throw new HotmessError(runtime.halted.code, runtime.halted.reason);
          reply = caller
            ? await caller.create(request, signal)
            : await batcher!.create(request, { customId: batchCustomId(ctx.rollout.id, t, attempt), key, agentSeed: ctx.rollout.agentSeed, agent: ctx.rollout.agent, retries: this.init.retries }, config, signal);
        } catch (e) {
          // Refused credentials or an unreachable server doom every call: stop the run, not just this rollout.
          const fatal = e instanceof ApiCallError ? fatalReason(e, { agent: ctx.rollout.agent, keyEnv: this.init.keyEnv, model: settings.model, maxRetries: config.maxRetries }) : null;
          if (fatal) runtime.halt({ code: (e as ApiCallError).fault === 'auth' ? 'agent' : 'network', reason: fatal });
          throw e;
        }
        latencyMs += Date.now() - started;
        live++;
        this.cache.put(key, reply as unknown as Json);
        // Paid whether or not the reply turns out usable.
        const paid = usageFromAnthropic((reply.message as { usage?: unknown } | null)?.usage);
        runtime.meter.recordCall(paid, price ? costUsd(price, paid) : null);
      }
      const parsed = parseReply(reply.message);
      const cost = price ? costUsd(price, parsed.usage) : null;
      step.add(parsed.usage, cost);
      this.tally.add(parsed.usage, cost);
      thinkingChars += parsed.thinkingChars;
      if (parsed.thinkingTokens !== null) thinkingTokens = (thinkingTokens ?? 0) + parsed.thinkingTokens;
      const verdict: ToolReply = parsed.hasToolCall ? readToolInput(space, parsed.toolInput) : { ok: false, action: null, reason: NO_TOOL_CALL };
      if (!verdict.ok) this.invalidReplies++;
      if (verdict.ok || attempt >= this.init.retries) {
        this.turns.set(t, parsed.content);
        const s = step.toInfo();
        const info: { [key: string]: Json } = {
          requestId: reply.requestId,
          stopReason: parsed.stopReason,
          inputTokens: s.inputTokens,
          outputTokens: s.outputTokens,
          cacheReadTokens: s.cacheReadTokens,
          cacheWriteTokens: s.cacheWriteTokens,
          thinkingChars,
          text: parsed.text,
          costUsd: s.costUsd,
          attempts: attempt + 1,
        };
        if (thinkingTokens !== null) info.thinkingTokens = thinkingTokens;
        if (retried.length > 0) info.retried = retried;
        this.last = { info, timing: { latencyMs, calls: live, cacheHits: hits } };
        return verdict.action;
      }
      retries.push({ content: parsed.content, reason: verdict.reason });
      retried.push({ requestId: reply.requestId, reason: verdict.reason });
    }
  }

  report(): StepReport | undefined {
    return this.last;
  }

  async close(): Promise<void> {
    this.cache.close();
    // Lockstep stops waiting for this rollout.
    this.init.runtime.batcher?.retire();
  }

  summary(): RolloutReport {
    return { info: { ...this.tally.toInfo(), invalidReplies: this.invalidReplies } };
  }
}

/** The API key from the environment, or a one-line error naming the variable. */
export function apiKeyFrom(env: NodeJS.ProcessEnv, name: string): string {
  const key = env[name];
  if (!key) throw new HotmessError('agent', `anthropic: ${name} is not set`);
  return key;
}
