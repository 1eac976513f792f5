/**
 * One rollout of an Anthropic-backed agent: each step builds the request
 * from the rollout so far, answers it from the response cache or the API,
 * and validates the tool call against the legal actions. An invalid call is
 * re-asked with the reason up to `retries` times within the step; after that
 * the invalid action goes to the engine, which logs a no-op step with
 * `invalid`. Per-step tokens, cost, request id, stop reason, thinking length
 * and text go into `report().info`; latency into `timing`.
 */
import { errorLine, HotmessError, isOsError, type Action, type AgentContext, type AsyncAgent, type History, type Json, type Observation, type RolloutReport, type StepReport } from '../../core/index.js';
import { CacheMissError, cacheKeyOf, CorruptCacheError, type RolloutCache } from '../cache.js';
import { Tally } from '../meter.js';
import { costUsd, maxCostUsd, type Price } from '../prices.js';
import { backoffMs, sleep } from '../retry.js';
import { TOOL_PROMPT_TOKENS } from '../estimate.js';
import { NO_TOOL_CALL } from '../prompt.js';
import type { LlmRuntime } from '../runtime.js';
import { readToolInput, type ToolReply } from '../tools.js';
import type { AnthropicConfig, MessagesCaller, MessagesReply } from './client.js';
import { ApiCallError, fatalReason, resendClosedIdle } from './faults.js';
import { batchCustomId } from './batcher.js';
import { buildRequest, RequestMemo, serialiseRequest, type RequestSettings, type RetryTurn } from './request.js';
import { parseReply, type ParsedReply } from './response.js';

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
  /** Past turns' messages and JSON, built once for all the rollout's requests. */
  private readonly memo = new RequestMemo();
  private invalidReplies = 0;
  private instructions: { text: string | undefined } | null = null;
  private last: StepReport | undefined;
  /** The config and caller of the first live call, kept for the rollout's others (the runtime's lookup hashes the config). */
  private live: { readonly config: AnthropicConfig; readonly caller: MessagesCaller } | null = null;

  constructor(private readonly init: SessionInit) {
    try {
      this.cache = init.runtime.cache.forRollout(init.ctx.rollout.agentSeed);
    } catch (e) {
      // Every resume would meet the same file: stop the run with exit 4 and say what to do with it.
      if (e instanceof CorruptCacheError) init.runtime.halt({ code: 'log', reason: e.message });
      throw e;
    }
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
    let transientRetries = 0;
    for (let attempt = 0; ; attempt++) {
      const request = buildRequest({ settings, envName: ctx.envName, instructions: this.instructions.text, space, history, turns: this.turns, observation, retries, memo: this.memo });
      // Serialised and encoded once: the body sent, its cache key and the bound on its bill all read these bytes.
      const body = Buffer.from(serialiseRequest(request, this.memo));
      const key = cacheKeyOf({ model: settings.model, requestJson: body, agentSeed: ctx.rollout.agentSeed, index: ctx.rollout.index, t, attempt });
      let reply = usable(this.cache.get(key));
      let parsed: ParsedReply;
      if (reply !== undefined) {
        hits++;
        runtime.meter.recordHit();
        parsed = reply.parsed;
      } else {
        if (runtime.replaying) {
          const what = `rollout ${ctx.rollout.id} step ${t} attempt ${attempt + 1}`;
          runtime.miss(what);
          throw new CacheMissError(what);
        }
        const got = await this.fetch(request, body, signal, { key, t, attempt });
        latencyMs += got.latencyMs;
        live += got.attempts;
        transientRetries += got.attempts - 1;
        // The ledger line was written when the reply arrived (paid whether or not it is usable); then the cache line.
        this.onDisk(() => this.cache.put(key, got.reply as unknown as Json));
        reply = { reply: got.reply, parsed: got.parsed };
        parsed = got.parsed;
      }
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
          requestId: reply.reply.requestId,
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
        const timing = { latencyMs, calls: live, cacheHits: hits, transientRetries };
        // An invalid last reply: the engine logs the step invalid with this reason (one rule for both).
        this.last = verdict.ok ? { info, timing } : { info, timing, invalid: verdict.reason };
        return verdict.action;
      }
      retries.push({ content: parsed.content, reason: verdict.reason });
      retried.push({ requestId: reply.reply.requestId, reason: verdict.reason });
    }
  }

  /**
   * One live reply: attempts until one returns a message, retrying
   * transient faults (429, 5xx, a dropped connection, a malformed body, a
   * timeout) with backoff up to `maxRetries` times. Every attempt is on the
   * cost ledger when it is sent, and settled when its fate is known. Refused
   * credentials stop the run at once; a server that cannot be reached stops
   * it once the retries are spent.
   */
  private async fetch(request: Record<string, unknown>, body: Buffer, signal: AbortSignal, at: { key: string; t: number; attempt: number }): Promise<{ reply: MessagesReply; parsed: ParsedReply; attempts: number; latencyMs: number }> {
    const { settings, runtime, ctx, price } = this.init;
    const config = this.live?.config ?? this.init.config();
    if (runtime.halted) throw new HotmessError(runtime.halted.code, runtime.halted.reason);
    if (runtime.batcher) return this.fetchBatched(request, signal, at, config);
    const caller = this.live?.caller ?? (await runtime.anthropic(config));
    this.live ??= { config, caller };
    // The body (the canonical JSON the cache key was made from) bounds the bill: no prompt token is
    // shorter than one of its bytes, plus the API's tool-use system prompt.
    const maxUsd = price ? maxCostUsd(price, body.length + TOOL_PROMPT_TOKENS, settings.maxTokens) : null;
    let latencyMs = 0;
    let resent = 0;
    for (let retry = 0; ; retry++) {
      const ticket = this.onDisk(() => runtime.meter.sent(settings.model, maxUsd));
      const started = Date.now();
      try {
        const reply = await caller.create(body, signal);
        latencyMs += Date.now() - started;
        const parsed = parseReply(reply.message);
        this.onDisk(() => ticket.replied(parsed.usage, price ? costUsd(price, parsed.usage) : null));
        return { reply, parsed, attempts: retry + resent + 1, latencyMs };
      } catch (e) {
        latencyMs += Date.now() - started;
        if (isOsError(e)) throw e;
        if (e instanceof ApiCallError && e.status !== null && e.status !== 200) this.onDisk(() => ticket.refused(e.status!));
        else this.onDisk(() => ticket.lost(signal.aborted ? 'aborted' : e instanceof ApiCallError ? e.message : errorLine(e)));
        if (signal.aborted || !(e instanceof ApiCallError)) throw e;
        if (resendClosedIdle(e, resent)) {
          resent++;
          retry--;
          continue;
        }
        const spent = !e.retryable || retry >= config.maxRetries;
        // Refused credentials or an unreachable server doom every call: stop the run, not just this rollout.
        const fatal = e.fault === 'auth' || (spent && e.fault === 'unreachable') ? fatalReason(e, { agent: ctx.rollout.agent, keyEnv: this.init.keyEnv, model: settings.model, maxRetries: retry }) : null;
        if (fatal) runtime.halt({ code: e.fault === 'auth' ? 'agent' : 'network', reason: fatal });
        if (fatal || spent || runtime.halted) throw e.retryable ? e.afterRetries(retry) : e;
        await sleep(backoffMs(retry, e.retryAfterMs, config.retryDelayMs), signal);
      }
    }
  }

  /** Through Message Batches: the batcher retries errored and expired requests itself; one reply, recorded before it is cached. */
  private async fetchBatched(request: Record<string, unknown>, signal: AbortSignal, at: { key: string; t: number; attempt: number }, config: AnthropicConfig): Promise<{ reply: MessagesReply; parsed: ParsedReply; attempts: number; latencyMs: number }> {
    const { runtime, ctx, price, settings } = this.init;
    const started = Date.now();
    let reply: MessagesReply;
    try {
      reply = await runtime.batcher!.create(request, { customId: batchCustomId(ctx.rollout.id, at.t, at.attempt), key: at.key, agentSeed: ctx.rollout.agentSeed, agent: ctx.rollout.agent, retries: this.init.retries }, config, signal);
    } catch (e) {
      // Refused credentials or an unreachable server doom every call: stop the run, not just this rollout.
      const fatal = e instanceof ApiCallError ? fatalReason(e, { agent: ctx.rollout.agent, keyEnv: this.init.keyEnv, model: settings.model, maxRetries: config.maxRetries }) : null;
      if (fatal) runtime.halt({ code: (e as ApiCallError).fault === 'auth' ? 'agent' : 'network', reason: fatal });
      throw e;
    }
    const parsed = parseReply(reply.message);
    this.onDisk(() => runtime.meter.recordCall(parsed.usage, price ? costUsd(price, parsed.usage) : null));
    return { reply, parsed, attempts: 1, latencyMs: Date.now() - started };
  }

  /**
   * A write to the run's cache or ledger. A full disk, a quota or a device
   * error fails every later write too: stop the run (exit 4, resume hint),
   * not just this rollout. The ledger line of a reply precedes its cache
   * line, so what was paid is on the ledger even when the cache write fails.
   */
  private onDisk<T>(write: () => T): T {
    try {
      return write();
    } catch (e) {
      if (isOsError(e)) this.init.runtime.halt({ code: 'log', reason: e.message });
      throw e;
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

/** A cached reply that can be used, with its reading; a bad entry (written before replies were validated) is a miss. */
function usable(value: Json | undefined): { reply: MessagesReply; parsed: ParsedReply } | undefined {
  if (value === undefined) return undefined;
  const reply = value as unknown as MessagesReply;
  try {
    return { reply, parsed: parseReply(reply.message) };
  } catch {
    return undefined;
  }
}
