/**
 * One rollout of an OpenAI-compatible agent: each step builds the Chat
 * Completions request from the rollout so far, answers it from the response
 * cache or the server, and validates the tool call against the legal
 * actions, re-asking an invalid one up to `retries` times (as `anthropic`
 * does). With `seed: rollout` every request carries an integer derived from
 * the rollout's agent seed, the step, the attempt and the sample, so a
 * server that honours seeds repeats the run without the cache. With
 * `logprobs`, each step logs the chosen action's probability and the entropy
 * over the candidate actions (logprobs.ts).
 *
 * With `samples` > 1 (an ensemble) the step asks for `n` choices in one
 * request and takes the majority of the valid ones. A server that refuses
 * `n` (400) or ignores it (one choice back) is noted once per run, and the
 * samples are then asked one request each.
 */
import { createHash } from 'node:crypto';
import { actionKey, canonicalJson, HotmessError, type Action, type AgentContext, type AsyncAgent, type History, type Json, type Observation, type RolloutReport, type StepReport } from '../../core/index.js';
import { CacheMissError, cacheKeyOf, type RolloutCache } from '../cache.js';
import { actionUncertainty } from '../logprobs.js';
import { Tally } from '../meter.js';
import { costUsd, maxCostUsd, type Price } from '../prices.js';
import { backoffMs, sleep } from '../retry.js';
import { NO_TOOL_CALL } from '../prompt.js';
import type { LlmRuntime } from '../runtime.js';
import { readToolInput, type ToolReply } from '../tools.js';
import { ApiCallError, fatalReason, resendClosedIdle } from '../anthropic/faults.js';
import type { ChatCaller, ChatReply, OpenAIConfig } from './client.js';
import { buildChatRequest, ChatRequestMemo, type ChatSettings, type ChatTurn, type RetryChatTurn } from './request.js';
import { serialiseRequest } from '../anthropic/request.js';
import { parseChat, type ParsedChoice } from './response.js';
import type { TokenUsage } from '../usage.js';

export interface ChatSessionInit {
  readonly settings: ChatSettings;
  readonly retries: number;
  readonly price: Price | null;
  readonly seed: 'rollout' | 'none';
  /** Choices per step (an ensemble's majority vote); 1 for a plain agent. */
  readonly samples: number;
  /** Builds the client config (reads the API key) on the first live call. */
  readonly config: () => OpenAIConfig;
  readonly keyEnv: string;
  readonly runtime: LlmRuntime;
  readonly ctx: AgentContext;
}

/** The integer seed of one request: from the rollout's agent seed, the step, the attempt and the sample. */
export function requestSeed(agentSeed: string, t: number, attempt: number, sample: number): number {
  const h = createHash('sha256').update(`${agentSeed}\n${t}\n${attempt}\n${sample}`).digest();
  return h.readUInt32BE(0) & 0x7fffffff;
}

/** One reply used by a step, live or cached. */
interface Used {
  readonly reply: ChatReply;
  readonly live: boolean;
  readonly latencyMs: number;
  /** HTTP attempts this reply took (0 from the cache). */
  readonly attempts: number;
}

export class OpenAISession implements AsyncAgent {
  readonly async = true;
  private readonly turns = new Map<number, ChatTurn>();
  private readonly cache: RolloutCache;
  private readonly tally = new Tally();
  /** Past turns' messages and JSON, built once for all the rollout's requests. */
  private readonly memo = new ChatRequestMemo();
  private invalidReplies = 0;
  private instructions: { text: string | undefined } | null = null;
  private last: StepReport | undefined;
  /** The config and caller of the first live call, kept for the rollout's others (the runtime's lookup hashes the config). */
  private live: { readonly config: OpenAIConfig; readonly caller: ChatCaller } | null = null;

  constructor(private readonly init: ChatSessionInit) {
    this.cache = init.runtime.cache.forRollout(init.ctx.rollout.agentSeed);
  }

  async act(observation: Observation, history: History, _rng: unknown, signal: AbortSignal): Promise<Action> {
    const { ctx } = this.init;
    this.last = undefined;
    const t = (history.length > 0 ? history[history.length - 1].t : 0) + 1;
    const space = ctx.legal();
    this.instructions ??= { text: ctx.instructions?.() };
    const retries: RetryChatTurn[] = [];
    const retried: Json[] = [];
    const step = new Tally();
    const timing = { latencyMs: 0, calls: 0, cacheHits: 0, requestId: null as string | null };
    for (let attempt = 0; ; attempt++) {
      const build = (sample: number, n?: number) =>
        buildChatRequest({
          settings: this.init.settings,
          envName: ctx.envName,
          instructions: this.instructions!.text,
          space,
          history,
          turns: this.turns,
          observation,
          retries,
          rolloutId: ctx.rollout.id,
          seed: this.init.seed === 'rollout' ? requestSeed(ctx.rollout.agentSeed, t, attempt, sample) : undefined,
          n,
          memo: this.memo,
        });
      const used = await this.sample(build, t, attempt, signal);
      const choices: ParsedChoice[] = [];
      for (const u of used) {
        const parsed = parseChat(u.reply.completion);
        const cost = this.costOf(parsed.usage);
        step.add(parsed.usage, cost);
        this.tally.add(parsed.usage, cost);
        choices.push(...parsed.choices);
        timing.latencyMs += u.latencyMs;
        if (u.live) timing.calls += u.attempts;
        else timing.cacheHits++;
        timing.requestId ??= u.reply.requestId;
      }
      const verdicts = choices.slice(0, this.init.samples).map((c) => verdictOf(space, c));
      const pick = majority(verdicts);
      const chosen = pick ?? 0;
      const verdict = verdicts[chosen];
      if (!verdict.ok) this.invalidReplies++;
      if (verdict.ok || attempt >= this.init.retries) {
        const choice = choices[chosen];
        this.turns.set(t, choice.turn);
        const s = step.toInfo();
        const info: { [key: string]: Json } = {
          finishReason: choice.finishReason,
          inputTokens: s.inputTokens,
          outputTokens: s.outputTokens,
          cacheReadTokens: s.cacheReadTokens,
          text: choice.text,
          costUsd: s.costUsd,
          attempts: attempt + 1,
        };
        if (this.init.seed === 'rollout') info.seed = requestSeed(ctx.rollout.agentSeed, t, attempt, 0);
        if (this.init.settings.logprobs !== undefined) {
          const u = choice.tokens && verdict.ok ? actionUncertainty(choice.tokens, space) : { prob: null, entropy: null };
          info.actionProb = u.prob;
          info.modelEntropy = u.entropy;
        }
        if (this.init.samples > 1) info.votes = { chosen: verdicts.filter((v) => v.ok && actionKey(v.action) === actionKey(verdict.action)).length, valid: verdicts.filter((v) => v.ok).length, samples: verdicts.length };
        if (retried.length > 0) info.retried = retried;
        this.last = { info, timing: { latencyMs: timing.latencyMs, calls: timing.calls, cacheHits: timing.cacheHits, requestId: timing.requestId }, ...(verdict.ok ? {} : { invalid: verdict.reason }) };
        return verdict.action;
      }
      retries.push({ turn: choices[chosen].turn, reason: (verdict as { reason: string }).reason });
      retried.push({ reason: (verdict as { reason: string }).reason });
    }
  }

  /**
   * The replies for one attempt: one request with `n` choices, or one per
   * sample where the server refuses or ignores `n`. Cached replies first;
   * a replay never calls.
   */
  private async sample(build: (sample: number, n?: number) => Record<string, Json>, t: number, attempt: number, signal: AbortSignal): Promise<Used[]> {
    const n = this.init.samples;
    if (n === 1) return [await this.ask(build(0), t, attempt, 0, signal, false)];
    const baseURL = this.baseURL();
    const together = build(0, n);
    const togetherJson = serialiseRequest(together, this.memo);
    const key = this.key(togetherJson, t, attempt, 0);
    const cached = this.cache.get(key) as (ChatReply & { refusedN?: boolean }) | undefined;
    const { runtime } = this.init;
    let first: Used | null = null;
    if (cached?.refusedN) this.noteN(baseURL, 'refused');
    else if (cached !== undefined || (!runtime.nSupport.has(baseURL) && !runtime.replaying)) {
      try {
        first = cached !== undefined ? this.hit(cached) : await this.ask(together, t, attempt, 0, signal, true, togetherJson);
      } catch (e) {
        if (!(e instanceof ApiCallError && e.status === 400)) throw e;
        // Remembered in the cache, so a replay takes the same path.
        this.cache.put(key, { refusedN: true, requestId: null, completion: null });
        this.noteN(baseURL, 'refused');
      }
      if (first && parseChat(first.reply.completion).choices.length < n) this.noteN(baseURL, 'ignored');
      else if (first) return [first];
    }
    const used: Used[] = first ? [first] : [];
    for (let k = used.length; k < n; k++) used.push(await this.ask(build(k), t, attempt, k, signal, false));
    return used;
  }

  private noteN(baseURL: string, what: 'refused' | 'ignored'): void {
    const { runtime, ctx } = this.init;
    if (!runtime.nSupport.has(baseURL)) runtime.nSupport.set(baseURL, what);
    runtime.notice(
      what === 'refused'
        ? `agent "${ctx.rollout.agent}": the server at ${baseURL} refuses n > 1 (HTTP 400); asking for each of the ${this.init.samples} samples in its own request`
        : `agent "${ctx.rollout.agent}": the server at ${baseURL} ignores n (one choice back); asking for each of the ${this.init.samples} samples in its own request`,
    );
  }

  private baseURL(): string {
    try {
      return this.init.config().baseURL;
    } catch {
      return '';
    }
  }

  /** The cache key of a request given as its canonical JSON. */
  private key(requestJson: string, t: number, attempt: number, sample: number): string {
    const { ctx, settings } = this.init;
    // Without a seed, the samples of one step send the same request: the sample number tells them apart
    // (keyed as the canonical JSON of {request, sample}).
    const keyed = sample === 0 ? requestJson : `{"request":${requestJson},"sample":${canonicalJson(sample)}}`;
    return cacheKeyOf({ model: settings.model, requestJson: keyed, agentSeed: ctx.rollout.agentSeed, index: ctx.rollout.index, t, attempt });
  }

  private hit(reply: ChatReply): Used {
    this.init.runtime.meter.recordHit();
    return { reply, live: false, latencyMs: 0, attempts: 0 };
  }

  /** One request: from the cache, else from the server (paid, cached). `raw`: let a 400 through to the caller. */
  private async ask(request: Record<string, Json>, t: number, attempt: number, sample: number, signal: AbortSignal, raw: boolean, requestJson = serialiseRequest(request, this.memo)): Promise<Used> {
    const { runtime, ctx, settings } = this.init;
    const key = this.key(requestJson, t, attempt, sample);
    const cached = this.cache.get(key) as ChatReply | undefined;
    if (cached !== undefined) return this.hit(cached);
    if (runtime.replaying) {
      const what = `rollout ${ctx.rollout.id} step ${t} attempt ${attempt + 1}${sample > 0 ? ` sample ${sample + 1}` : ''}`;
      runtime.miss(what);
      throw new CacheMissError(what);
    }
    const config = this.live?.config ?? this.init.config();
    if (runtime.halted) throw new HotmessError(runtime.halted.code, runtime.halted.reason);
    const caller = this.live?.caller ?? (await runtime.openai(config));
    this.live ??= { config, caller };
    const price = this.init.price;
    const maxUsd = price ? maxCostUsd(price, Buffer.byteLength(requestJson), settings.maxTokens * this.init.samples) : null;
    let latencyMs = 0;
    // Transient faults (429, 5xx, a dropped connection, a malformed body, a timeout) are retried with backoff;
    // every attempt is on the ledger when sent and settled when its fate is known.
    let resent = 0;
    for (let retry = 0; ; retry++) {
      const ticket = runtime.meter.sent(settings.model, maxUsd);
      const started = Date.now();
      try {
        const reply = await caller.create(request, signal);
        latencyMs += Date.now() - started;
        const parsed = parseChat(reply.completion);
        ticket.replied(parsed.usage, this.costOf(parsed.usage));
        // The ledger line first, then the cache line.
        this.cache.put(key, reply as unknown as Json);
        return { reply, live: true, latencyMs, attempts: retry + resent + 1 };
      } catch (e) {
        latencyMs += Date.now() - started;
        if (e instanceof ApiCallError && e.status !== null && e.status !== 200) ticket.refused(e.status);
        else ticket.lost(signal.aborted ? 'aborted' : e instanceof ApiCallError ? e.message : String(e));
        if (signal.aborted || !(e instanceof ApiCallError)) throw e;
        if (raw && e.status === 400) throw e;
        if (resendClosedIdle(e, resent)) {
          resent++;
          retry--;
          continue;
        }
        const spent = !e.retryable || retry >= config.maxRetries;
        const fatal =
          e.fault === 'auth' || (spent && e.fault === 'unreachable')
            ? fatalReason(e, { agent: ctx.rollout.agent, keyEnv: this.init.keyEnv, model: settings.model, maxRetries: retry, api: 'OpenAI-compatible server', baseEnv: 'OPENAI_BASE_URL' })
            : null;
        if (fatal) runtime.halt({ code: e.fault === 'auth' ? 'agent' : 'network', reason: fatal });
        if (fatal || spent || runtime.halted) throw e.retryable ? e.afterRetries(retry) : e;
        await sleep(backoffMs(retry, e.retryAfterMs, config.retryDelayMs), signal);
      }
    }
  }

  private costOf(usage: TokenUsage): number | null {
    return this.init.price ? costUsd(this.init.price, usage) : null;
  }

  report(): StepReport | undefined {
    return this.last;
  }

  async close(): Promise<void> {
    this.cache.close();
  }

  summary(): RolloutReport {
    return { info: { ...this.tally.toInfo(), invalidReplies: this.invalidReplies } };
  }
}

function verdictOf(space: ReturnType<AgentContext['legal']>, c: ParsedChoice): ToolReply {
  if (!c.hasToolCall) return { ok: false, action: null, reason: NO_TOOL_CALL };
  if (c.malformed) return { ok: false, action: null, reason: c.malformed };
  return readToolInput(space, c.toolInput);
}

/** Index of the first choice of the most common valid action (ties: the earliest), or null when none is valid. */
function majority(verdicts: readonly ToolReply[]): number | null {
  const counts = new Map<string, { first: number; count: number }>();
  verdicts.forEach((v, i) => {
    if (!v.ok) return;
    const k = actionKey(v.action);
    const c = counts.get(k);
    if (c) c.count++;
    else counts.set(k, { first: i, count: 1 });
  });
  let best: { first: number; count: number } | null = null;
  for (const c of counts.values()) if (!best || c.count > best.count || (c.count === best.count && c.first < best.first)) best = c;
  return best ? best.first : null;
}

/** The API key from the environment; a loopback server takes a placeholder. */
export function openaiKeyFrom(env: NodeJS.ProcessEnv, name: string, loopback: boolean): string {
  const key = env[name];
  if (key) return key;
  if (loopback) return 'none';
  throw new HotmessError('agent', `openai: ${name} is not set`);
}
