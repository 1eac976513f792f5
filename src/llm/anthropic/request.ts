/**
 * The Messages API request for one step, built from the rollout so far.
 * Pure and deterministic: the same history and replies give the same
 * request, byte for byte, which is what lets the response cache replay a run.
 *
 * Layout: tools (the `act` tool), then system blocks (prompt, instance
 * instructions), then the conversation: each shown past step is a user turn
 * (tool results for the previous reply, then the observation) and the
 * assistant reply that acted on it. With prompt caching, a breakpoint closes
 * the stable prefix (tools + system); with the full history a second one
 * closes the conversation, so the next step reads it back from the cache.
 *
 * A rollout's requests grow by one turn a step. With a `RequestMemo` (one
 * per rollout), the messages of turns already shown are built once and
 * serialised once (`serialiseRequest`), so a step costs what it adds, not what
 * the whole conversation holds; the request and its JSON are the same.
 */
import { canonicalJson, type ActionSpace, type History, type HistoryEntry, type Json, type Observation } from '../../core/index.js';
import { omittedNote, retryFeedback, stepFeedback, systemBlocks, windowStart, type HistoryWindow } from '../prompt.js';
import { ACTION_TOOL_NAME, actionTool } from '../tools.js';

export type ThinkingSetting = 'adaptive' | 'disabled' | number;

export interface RequestSettings {
  readonly model: string;
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly system?: string;
  readonly thinking?: ThinkingSetting;
  readonly effort?: string;
  readonly toolChoice: 'auto' | 'any';
  readonly promptCaching: boolean;
  readonly history: HistoryWindow;
}

/** An invalid reply within the current step and why it was refused. */
export interface RetryTurn {
  readonly content: readonly Json[];
  readonly reason: string;
}

export interface StepRequestInput {
  readonly settings: RequestSettings;
  readonly envName: string;
  readonly instructions: string | undefined;
  readonly space: ActionSpace;
  readonly history: History;
  /** The assistant content (param form) that produced the action of step t, by t. */
  readonly turns: ReadonlyMap<number, readonly Json[]>;
  readonly observation: Observation;
  readonly retries: readonly RetryTurn[];
  /** The rollout's memo of past turns (see `RequestMemo`); without one, every turn is built afresh. */
  readonly memo?: RequestMemo;
}

type Block = { [key: string]: Json };
type Message = { role: 'user' | 'assistant'; content: Block[] };

const EPHEMERAL: Block = { type: 'ephemeral' };

/**
 * What one rollout's requests share from step to step: the messages of a
 * past step (its user turn, its reply, and the tool results the next user
 * turn carries), by the step's history entry, and the canonical JSON of
 * every message built. A past step's messages depend only on its entry and
 * the one before it (history is append-only, a step's reply is set once),
 * except the first shown when a window hides earlier steps (it carries the
 * "not shown" note and no results): that one is always built afresh.
 * Messages are never changed once built (the breakpoint goes on a copy of
 * the last block of the last message, which is always new).
 */
export class RequestMemo {
  readonly turns = new WeakMap<HistoryEntry, { readonly user: Message; readonly assistant: Message; readonly carried: Block[] }>();
  readonly json = new WeakMap<object, string>();
  /**
   * The last request's system blocks and tools, with what they were built
   * from: the same inputs give the same objects again (and their JSON, in
   * `json`), instead of a rebuild and a re-serialisation every step.
   */
  system: { readonly from: readonly [string, string | undefined, string | undefined, boolean]; readonly blocks: Block[] } | null = null;
  tools: { readonly from: object; readonly description: string | null; readonly tools: Block[] } | null = null;
}

function systemOf(input: StepRequestInput): Block[] {
  const s = input.settings;
  const memo = input.memo;
  const from = memo?.system?.from;
  if (memo && from && from[0] === input.envName && from[1] === s.system && from[2] === input.instructions && from[3] === s.promptCaching) return memo.system!.blocks;
  const blocks: Block[] = systemBlocks(input.envName, s.system, input.instructions).map((text) => ({ type: 'text', text }));
  if (s.promptCaching) blocks[blocks.length - 1].cache_control = EPHEMERAL;
  if (memo) {
    memo.system = { from: [input.envName, s.system, input.instructions, s.promptCaching], blocks };
    memo.json.set(blocks, canonicalJson(blocks));
  }
  return blocks;
}

/** The `tools` list for the space; the same list while the space is built around the same actions or schema and description. */
function toolsOf(input: StepRequestInput): Block[] {
  const space = input.space;
  const memo = input.memo;
  const from: object = space.kind === 'discrete' ? space.actions : space.schema;
  const description = space.kind === 'discrete' ? null : space.description;
  const known = memo?.tools;
  if (known && known.from === from && known.description === description) return known.tools;
  const tool = actionTool(space);
  const tools: Block[] = [{ name: tool.name, description: tool.description, input_schema: tool.inputSchema }];
  if (memo) {
    memo.tools = { from, description, tools };
    memo.json.set(tools, canonicalJson(tools));
  }
  return tools;
}

export function buildRequest(input: StepRequestInput): Record<string, Json> {
  const s = input.settings;
  const system = systemOf(input);

  const messages = conversation(input);
  if (s.promptCaching && s.history === 'full') {
    const last = messages[messages.length - 1].content;
    last[last.length - 1] = { ...last[last.length - 1], cache_control: EPHEMERAL };
  }

  const request: Record<string, Json> = {
    model: s.model,
    max_tokens: s.maxTokens,
    system,
    tools: toolsOf(input),
    messages: messages as unknown as Json,
  };
  if (s.toolChoice === 'any') request.tool_choice = { type: 'any' };
  if (s.temperature !== undefined) request.temperature = s.temperature;
  if (s.topP !== undefined) request.top_p = s.topP;
  if (typeof s.thinking === 'number') request.thinking = { type: 'enabled', budget_tokens: s.thinking };
  else if (s.thinking !== undefined) request.thinking = { type: s.thinking };
  if (s.effort !== undefined) request.output_config = { effort: s.effort };
  return request;
}

function conversation(input: StepRequestInput): Message[] {
  const { history, memo } = input;
  const start = windowStart(history.length, input.settings.history);
  const note = omittedNote(start);
  const messages: Message[] = [];
  let carried: Block[] = [];
  for (let i = start; i <= history.length; i++) {
    const entry: HistoryEntry | undefined = history[i];
    // Past turns are memoised unless they open a window that hides earlier ones (their text and results differ).
    const memoised = entry && memo && (i > start || start === 0);
    const known = memoised ? memo.turns.get(entry) : undefined;
    if (known) {
      messages.push(known.user, known.assistant);
      carried = known.carried;
      continue;
    }
    const obs = entry ? entry.observation : input.observation;
    const text = i === start && note ? `${note}\n\n${obs.text}` : obs.text;
    const user: Message = { role: 'user', content: [...carried, { type: 'text', text }] };
    messages.push(user);
    if (!entry) break;
    const content = nonEmpty((input.turns.get(entry.t) ?? syntheticTurn(entry)) as Block[]);
    const assistant: Message = { role: 'assistant', content };
    messages.push(assistant);
    const fb = stepFeedback(entry);
    carried = resultsFor(content, fb.text, fb.refused);
    if (memoised) memo.turns.set(entry, { user, assistant, carried });
  }
  for (const retry of input.retries) {
    const content = nonEmpty(retry.content as Block[]);
    messages.push({ role: 'assistant', content });
    const text = retryFeedback(retry.reason);
    const results = resultsFor(content, text, true);
    messages.push({ role: 'user', content: results.length > 0 ? results : [{ type: 'text', text }] });
  }
  return messages;
}

/**
 * `canonicalJson(request)` for a request built with `memo` (this file's or
 * the Chat Completions one): each message's JSON is made once and reused by
 * the later steps that show it again.
 */
export function serialiseRequest(request: Record<string, Json>, memo: { readonly json: WeakMap<object, string> }): string {
  const keys = Object.keys(request).sort();
  let s = '{';
  for (const k of keys) {
    const v = request[k];
    if (v === undefined) continue;
    if (s.length > 1) s += ',';
    // Messages are memoised one by one; other values only when the builder memoised them (system, tools).
    s += JSON.stringify(k) + ':' + (k === 'messages' && Array.isArray(v) ? messagesJson(v as object[], memo) : ((v !== null && typeof v === 'object' && memo.json.get(v)) || canonicalJson(v)));
  }
  return s + '}';
}

function messagesJson(messages: readonly object[], memo: { readonly json: WeakMap<object, string> }): string {
  let s = '[';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    let j = memo.json.get(m);
    if (j === undefined) memo.json.set(m, (j = flat(canonicalJson(m))));
    s += (i > 0 ? ',' : '') + j;
  }
  return s + ']';
}

/**
 * The string, flattened in place: `canonicalJson` builds a rope of many small
 * pieces, and a rope kept for later steps would be walked again every time a
 * request holding it is hashed or encoded. Reading a character flattens it.
 */
function flat(s: string): string {
  if (s.length > 0) s.charCodeAt(0);
  return s;
}

/**
 * Tool results answering every tool call in a reply: the first carries the
 * feedback, any others are refused (one action per step). A reply without
 * a tool call gets the feedback as text instead.
 */
function resultsFor(content: readonly Block[], feedback: string, refused: boolean): Block[] {
  const uses = content.filter((b) => b.type === 'tool_use');
  if (uses.length === 0) return [{ type: 'text', text: `Your previous reply made no tool call. ${feedback}` }];
  return uses.map((b, k) => ({
    type: 'tool_result',
    tool_use_id: b.id as string,
    content: k === 0 ? feedback : 'Ignored: one action per step.',
    ...(k === 0 && !refused ? {} : { is_error: true }),
  }));
}

/** An empty reply goes back as a placeholder: the API refuses empty assistant turns. */
function nonEmpty(content: readonly Block[]): Block[] {
  return content.length > 0 ? [...content] : [{ type: 'text', text: '(empty reply)' }];
}

/** A past step with no recorded reply (replayed from a log): the action as a tool call. */
function syntheticTurn(entry: HistoryEntry): Block[] {
  return [{ type: 'tool_use', id: `toolu_hm_${entry.t}`, name: ACTION_TOOL_NAME, input: { action: entry.action } }];
}
