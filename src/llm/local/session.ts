/**
 * One rollout of a `local` agent: its own llama context (created on the
 * first step, released by `close`), one grammar-constrained generation per
 * step, sampled with a seed drawn from the rollout's agent stream, so the
 * same agent seed gives the same actions. The reply is parsed and checked
 * against the legal actions; a reply the grammar could not finish (cut at
 * maxTokens) or an out-of-bounds value goes to the engine as is and is
 * logged as an `invalid` step, never a crash. Per-step tokens, text, stop
 * reason and sampler seed go into `report().info`; latency into `timing`.
 */
import type { LlamaChat, LlamaContext, LlamaContextSequence } from 'node-llama-cpp';
import type { Action, AgentContext, AsyncAgent, History, Json, Observation, Rng, RolloutReport, StepReport } from '../../core/index.js';
import { actionTool, llmRuntimeOf, readToolInput, Tally, type HistoryWindow, type ToolReply } from '../index.js';
import { grammarSchema } from './grammar.js';
import { chatItems } from './prompt.js';
import { grammarFor, loadLibrary, loadModel } from './runtime.js';

export interface LocalSettings {
  /** Absolute path of the GGUF file. */
  readonly modelPath: string;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly maxTokens: number;
  readonly history: HistoryWindow;
  readonly contextSize: number;
  readonly threads: number | undefined;
  readonly system: string | undefined;
}

interface Open {
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
  readonly chat: LlamaChat;
}

export class LocalSession implements AsyncAgent {
  readonly async = true;
  private open: Promise<Open> | null = null;
  private instructions: { text: string | undefined } | null = null;
  private last: StepReport | undefined;
  private readonly tally = new Tally();
  private invalidReplies = 0;

  constructor(
    private readonly s: LocalSettings,
    private readonly ctx: AgentContext,
  ) {}

  private start(): Promise<Open> {
    this.open ??= (async () => {
      const [lib, model] = await Promise.all([loadLibrary(), loadModel(this.s.modelPath)]);
      const context = await model.createContext({ contextSize: this.s.contextSize, sequences: 1, ...(this.s.threads !== undefined ? { threads: this.s.threads } : {}) });
      const sequence = context.getSequence();
      return { context, sequence, chat: new lib.LlamaChat({ contextSequence: sequence }) };
    })();
    return this.open;
  }

  async act(observation: Observation, history: History, rng: Rng, signal: AbortSignal): Promise<Action> {
    this.last = undefined;
    // One draw per step whatever happens, so the stream's use never depends on a reply.
    // 0xFFFFFFFF is llama.cpp's "seed from the clock": fold it onto 0.
    const seed = rng.uint32() % 0xffffffff;
    const { ctx, s } = this;
    const space = ctx.legal();
    this.instructions ??= { text: ctx.access === 'observation' ? ctx.instructions?.() : undefined };
    const [{ chat, sequence }, grammar] = await Promise.all([this.start(), grammarFor(grammarSchema(actionTool(space).inputSchema))]);
    const items = chatItems({ envName: ctx.envName, system: s.system, instructions: this.instructions.text, window: s.history, history, observation, space });
    const before = sequence.tokenMeter.getState();
    const started = Date.now();
    const r = await chat.generateResponse(items, {
      grammar,
      seed,
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      maxTokens: s.maxTokens,
      repeatPenalty: false,
      signal,
    });
    const latencyMs = Date.now() - started;
    const after = sequence.tokenMeter.getState();
    const verdict = readReply(space, r.response, r.metadata.stopReason);
    const tokensIn = after.usedInputTokens - before.usedInputTokens;
    const tokensOut = after.usedOutputTokens - before.usedOutputTokens;
    // Local calls are free: they count in the run's token totals at $0.
    const usage = { input: tokensIn, output: tokensOut, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
    this.tally.add(usage, 0);
    llmRuntimeOf(ctx).meter.recordCall(usage, 0);
    if (!verdict.ok) this.invalidReplies++;
    const info: { [key: string]: Json } = {
      text: r.response,
      tokensIn,
      tokensOut,
      contextTokens: sequence.contextTokens.length,
      stopReason: r.metadata.stopReason,
      seed,
    };
    if (!verdict.ok) info.invalidReply = verdict.reason;
    // An invalid reply: the engine logs the step invalid with the agent's reason (one rule for both).
    this.last = verdict.ok ? { info, timing: { latencyMs } } : { info, timing: { latencyMs }, invalid: verdict.reason };
    return verdict.action;
  }

  report(): StepReport | undefined {
    return this.last;
  }

  summary(): RolloutReport {
    const t = this.tally.toInfo();
    return { info: { calls: t.calls, inputTokens: t.inputTokens, outputTokens: t.outputTokens, invalidReplies: this.invalidReplies } };
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = null;
    if (open) await open.then((o) => o.context.dispose()).catch(() => undefined);
  }
}

/** The reply text read as the tool input `{action}`. Never throws. */
export function readReply(space: Parameters<typeof readToolInput>[0], text: string, stopReason: string): ToolReply {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    const why = stopReason === 'maxTokens' ? 'the reply was cut at maxTokens before its JSON closed' : 'the reply is not JSON';
    return { ok: false, action: null, reason: why };
  }
  return readToolInput(space, input);
}
