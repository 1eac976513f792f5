/**
 * Reading a Chat Completions reply: each choice's turn (text and tool calls,
 * as they go back into later requests), the first `act` call's parsed
 * arguments, and its token log-probabilities; the usage of the whole reply.
 * Pure; a reply that is not a chat completion is a `HotmessError`.
 */
import { HotmessError, type Json } from '../../core/index.js';
import type { TokenLogprob } from '../logprobs.js';
import { ACTION_TOOL_NAME } from '../tools.js';
import type { TokenUsage } from '../usage.js';
import type { ChatTurn } from './request.js';

export interface ParsedChoice {
  readonly turn: ChatTurn;
  /** The first `act` call's arguments, parsed; undefined when there is no call. */
  readonly toolInput: unknown;
  readonly hasToolCall: boolean;
  /** Why the first `act` call's arguments are unusable (not JSON), else null. */
  readonly malformed: string | null;
  readonly text: string;
  readonly finishReason: string | null;
  /** Generated tokens with their log-probabilities, when the server sent them. */
  readonly tokens: readonly TokenLogprob[] | null;
}

export interface ParsedChat {
  readonly choices: readonly ParsedChoice[];
  readonly usage: TokenUsage;
}

type Obj = { [key: string]: Json };
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

export function parseChat(completion: Json): ParsedChat {
  if (!isObj(completion) || !Array.isArray(completion.choices) || completion.choices.length === 0) {
    throw new HotmessError('network', 'openai: malformed reply: no choices array');
  }
  const choices = [...(completion.choices as Json[])]
    .filter(isObj)
    .sort((a, b) => (typeof a.index === 'number' ? a.index : 0) - (typeof b.index === 'number' ? b.index : 0))
    .map(parseChoice);
  if (choices.length === 0) throw new HotmessError('network', 'openai: malformed reply: no usable choice');
  return { choices, usage: usageFromOpenAI(completion.usage) };
}

function parseChoice(choice: Obj): ParsedChoice {
  const message = isObj(choice.message) ? choice.message : {};
  const text = typeof message.content === 'string' ? message.content : '';
  const calls: { name: string; arguments: string }[] = [];
  let toolInput: unknown = undefined;
  let hasToolCall = false;
  let malformed: string | null = null;
  for (const raw of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    if (!isObj(raw) || !isObj(raw.function)) continue;
    const name = typeof raw.function.name === 'string' ? raw.function.name : '';
    const args = typeof raw.function.arguments === 'string' ? raw.function.arguments : JSON.stringify(raw.function.arguments ?? {});
    calls.push({ name, arguments: args });
    if (!hasToolCall && name === ACTION_TOOL_NAME) {
      hasToolCall = true;
      try {
        toolInput = JSON.parse(args);
      } catch {
        malformed = `the tool call's arguments are not valid JSON: ${args.length > 80 ? args.slice(0, 80) + '…' : args}`;
      }
    }
  }
  return {
    turn: { content: text.length > 0 ? text : null, calls },
    toolInput,
    hasToolCall,
    malformed,
    text,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    tokens: readTokens(choice.logprobs),
  };
}

function readTokens(raw: unknown): TokenLogprob[] | null {
  if (!isObj(raw) || !Array.isArray(raw.content)) return null;
  const out: TokenLogprob[] = [];
  for (const t of raw.content) {
    if (!isObj(t) || typeof t.token !== 'string' || typeof t.logprob !== 'number') return null;
    const top = Array.isArray(t.top_logprobs)
      ? t.top_logprobs.filter((a): a is Obj => isObj(a) && typeof a.token === 'string' && typeof a.logprob === 'number').map((a) => ({ token: a.token as string, logprob: a.logprob as number }))
      : undefined;
    out.push({ token: t.token, logprob: t.logprob, ...(top ? { top } : {}) });
  }
  return out;
}

/** Chat Completions `usage`: cached prompt tokens (`prompt_tokens_details.cached_tokens`) count as cache reads. */
export function usageFromOpenAI(raw: unknown): TokenUsage {
  const u = isObj(raw) ? raw : {};
  const prompt = num(u.prompt_tokens);
  const cached = Math.min(prompt, num(isObj(u.prompt_tokens_details) ? u.prompt_tokens_details.cached_tokens : 0));
  return { input: prompt - cached, output: num(u.completion_tokens), cacheRead: cached, cacheWrite: 0, cacheWrite1h: 0 };
}
