/**
 * The Chat Completions request for one step, built from the rollout so far.
 * Pure and deterministic: the same history and replies give the same
 * request, byte for byte, so a seeded server repeats itself and the response
 * cache can replay a run.
 *
 * Layout: one system message (prompt, instance instructions), then each
 * shown past step as a user message (the observation), the assistant message
 * that acted on it, and a `tool` message answering each of its tool calls.
 * Past tool calls are named by ids derived from (rollout, t), never by the
 * ids the server assigned: those are random and would change the prompt.
 *
 * With a `ChatRequestMemo` (one per rollout), a past step's messages are
 * built once and serialised once (`serialiseRequest`), as for `anthropic`.
 */
import { createHash } from 'node:crypto';
import type { ActionSpace, History, HistoryEntry, Json, Observation } from '../../core/index.js';
import { omittedNote, retryFeedback, stepFeedback, systemBlocks, windowStart, type HistoryWindow } from '../prompt.js';
import { ACTION_TOOL_NAME, actionTool } from '../tools.js';

export interface ChatSettings {
  readonly model: string;
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly system?: string;
  readonly toolChoice: 'auto' | 'required';
  readonly history: HistoryWindow;
  /** Top-K token log-probabilities per generated token; undefined asks for none. */
  readonly logprobs?: number;
}

/** An assistant reply as it goes back into later requests: its text and its tool calls, without the server's ids. */
export interface ChatTurn {
  readonly content: string | null;
  readonly calls: readonly { readonly name: string; readonly arguments: string }[];
}

export interface RetryChatTurn {
  readonly turn: ChatTurn;
  readonly reason: string;
}

export interface ChatRequestInput {
  readonly settings: ChatSettings;
  readonly envName: string;
  readonly instructions: string | undefined;
  readonly space: ActionSpace;
  readonly history: History;
  /** The reply that produced the action of step t, by t. */
  readonly turns: ReadonlyMap<number, ChatTurn>;
  readonly observation: Observation;
  readonly retries: readonly RetryChatTurn[];
  /** The rollout id: tool call ids derive from it. */
  readonly rolloutId: string;
  /** Sent as `seed` when given. */
  readonly seed?: number;
  /** Choices asked for in one request (`n`), when above 1. */
  readonly n?: number;
  /** The rollout's memo of past turns (see `ChatRequestMemo`); without one, every turn is built afresh. */
  readonly memo?: ChatRequestMemo;
}

type Message = { [key: string]: Json };

/**
 * What one rollout's requests share from step to step: a past step's
 * messages (its user message, the reply, the tool messages answering it)
 * and the text the next user message carries, by the step's history entry,
 * and every message's canonical JSON. As in `RequestMemo`, the first step
 * shown when a window hides earlier ones is always built afresh; messages
 * are never changed once built.
 */
export class ChatRequestMemo {
  readonly turns = new WeakMap<HistoryEntry, { readonly messages: readonly Message[]; readonly carried: string | null }>();
  readonly json = new WeakMap<object, string>();
}

export function buildChatRequest(input: ChatRequestInput): Record<string, Json> {
  const s = input.settings;
  const tool = actionTool(input.space);
  const messages: Message[] = [{ role: 'system', content: systemBlocks(input.envName, s.system, input.instructions).join('\n\n') }];
  messages.push(...conversation(input));
  const request: Record<string, Json> = {
    model: s.model,
    messages,
    tools: [{ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.inputSchema } }],
    tool_choice: s.toolChoice,
    max_tokens: s.maxTokens,
  };
  if (s.temperature !== undefined) request.temperature = s.temperature;
  if (s.topP !== undefined) request.top_p = s.topP;
  if (input.seed !== undefined) request.seed = input.seed;
  if (s.logprobs !== undefined) {
    request.logprobs = true;
    request.top_logprobs = s.logprobs;
  }
  if (input.n !== undefined && input.n > 1) request.n = input.n;
  return request;
}

/** The id of tool call k of the reply at step t (attempt > 0: a re-ask within the step). */
export function toolCallId(rolloutId: string, t: number, k: number, attempt = 0): string {
  return callId(rolloutTag(rolloutId), t, k, attempt);
}

/** The rollout's part of its tool call ids. */
function rolloutTag(rolloutId: string): string {
  return createHash('sha256').update(rolloutId).digest('hex').slice(0, 10);
}

function callId(tag: string, t: number, k: number, attempt: number): string {
  return `call_${tag}_${t}${attempt > 0 ? `r${attempt}` : ''}${k > 0 ? `_${k}` : ''}`;
}

function conversation(input: ChatRequestInput): Message[] {
  const { history } = input;
  // Hashed once per request, not once per past tool call.
  const tag = rolloutTag(input.rolloutId);
  const start = windowStart(history.length, input.settings.history);
  const note = omittedNote(start);
  const messages: Message[] = [];
  let carried: string | null = null;
  const { memo } = input;
  for (let i = start; i <= history.length; i++) {
    const entry: HistoryEntry | undefined = history[i];
    const memoised = entry && memo && (i > start || start === 0);
    const known = memoised ? memo.turns.get(entry) : undefined;
    if (known) {
      messages.push(...known.messages);
      carried = known.carried;
      continue;
    }
    const from = messages.length;
    const obs = entry ? entry.observation : input.observation;
    const text = i === start && note ? `${note}\n\n${obs.text}` : obs.text;
    messages.push({ role: 'user', content: carried ? `${carried}\n\n${text}` : text });
    if (!entry) break;
    const turn = input.turns.get(entry.t) ?? syntheticTurn(entry);
    const fb = stepFeedback(entry);
    carried = answer(messages, turn, (k) => callId(tag, entry.t, k, 0), fb.text);
    if (memoised) memo.turns.set(entry, { messages: messages.slice(from), carried });
  }
  input.retries.forEach((retry, j) => {
    const t = history.length + 1;
    const text = retryFeedback(retry.reason);
    const left = answer(messages, retry.turn, (k) => callId(tag, t, k, j + 1), text);
    if (left) messages.push({ role: 'user', content: left });
  });
  return messages;
}

/**
 * Append the assistant message and a tool message per tool call (the first
 * carries the feedback, the others are refused: one action per step).
 * Returns the feedback as text for the next user message when the reply made
 * no tool call, else null.
 */
function answer(messages: Message[], turn: ChatTurn, id: (k: number) => string, feedback: string): string | null {
  const assistant: Message = { role: 'assistant', content: turn.content ?? (turn.calls.length > 0 ? null : '(empty reply)') };
  if (turn.calls.length > 0) assistant.tool_calls = turn.calls.map((c, k) => ({ id: id(k), type: 'function', function: { name: c.name, arguments: c.arguments } }));
  messages.push(assistant);
  if (turn.calls.length === 0) return `Your previous reply made no tool call. ${feedback}`;
  turn.calls.forEach((_, k) => messages.push({ role: 'tool', tool_call_id: id(k), content: k === 0 ? feedback : 'Ignored: one action per step.' }));
  return null;
}

/** A past step with no recorded reply (replayed from a log): the action as a tool call. */
function syntheticTurn(entry: HistoryEntry): ChatTurn {
  return { content: null, calls: [{ name: ACTION_TOOL_NAME, arguments: JSON.stringify({ action: entry.action }) }] };
}
