/**
 * One τ-bench trajectory (an OpenAI message list) as hotmess steps: each
 * assistant turn is a step, and the user and tool messages before it are
 * the observation it answered. Pure.
 */
import { hashString, HotmessError, type Json } from '../core/index.js';
import type { TauMessage } from './tau-bench-schema.js';

/** How τ-bench ended the conversation, read from its last message. */
export type TauEnd = 'user-stop' | 'transfer' | 'none';

export interface TauStep {
  /** `{tool, args}` for a tool call, `{respond: true}` for a plain message. */
  readonly action: Json;
  /** The assistant's message text, kept out of the action key. */
  readonly text?: string;
  /** The user and tool messages since the previous assistant turn. */
  readonly observation: string;
  /** Further tool calls in the same turn, which τ-bench did not execute. */
  readonly extraToolCalls?: Json[];
}

export interface TauTurns {
  readonly steps: TauStep[];
  /** Messages after the last assistant turn (the user's last word, or the last tool result). */
  readonly finalObservation: string;
  /** Hash of the system prompt, identical across trials of one domain. */
  readonly system?: string;
  readonly end: TauEnd;
}

/** τ-bench's user simulator ends a conversation with this token. */
const STOP_TOKEN = '###STOP###';
/** τ-bench ends an episode when the agent calls this tool. */
const TRANSFER_TOOL = 'transfer_to_human_agents';

function render(m: TauMessage): string {
  if (m.role === 'tool') return m.name ? `tool ${m.name}: ${m.content}` : `tool: ${m.content}`;
  return `${m.role}: ${m.content ?? ''}`;
}

function parseArgs(raw: string | Record<string, unknown>, where: () => string): Json {
  if (typeof raw !== 'string') return raw as Json;
  try {
    return JSON.parse(raw) as Json;
  } catch {
    throw new HotmessError('input', `${where()}: tool-call arguments are not valid JSON: ${JSON.stringify(raw.slice(0, 60))}`);
  }
}

/**
 * Split a message list into steps. `where(path)` names a field of the record
 * for error messages. The system prompt is not part of any observation: it
 * is the same for every trial, so it is recorded once, as a hash.
 */
export function tauTurns(traj: readonly TauMessage[], where: (path: string) => string): TauTurns {
  const steps: TauStep[] = [];
  let pending: string[] = [];
  let system: string | undefined;
  traj.forEach((m, i) => {
    if (m.role === 'system') {
      system ??= hashString(m.content);
      return;
    }
    if (m.role !== 'assistant') {
      pending.push(render(m));
      return;
    }
    const calls = (m.tool_calls ?? []).map((c, j) => ({
      tool: c.function.name,
      args: parseArgs(c.function.arguments, () => where(`traj[${i}].tool_calls[${j}].function.arguments`)),
    }));
    const text = m.content ?? '';
    steps.push({
      // τ-bench executes only the first tool call of a turn.
      action: calls.length > 0 ? calls[0] : { respond: true },
      ...(text !== '' ? { text } : {}),
      observation: pending.join('\n\n'),
      ...(calls.length > 1 ? { extraToolCalls: calls.slice(1) } : {}),
    });
    pending = [];
  });
  const last = traj[traj.length - 1];
  let end: TauEnd = 'none';
  if (last?.role === 'user' && last.content.includes(STOP_TOKEN)) end = 'user-stop';
  else if (last?.role === 'tool' && (last.name ?? lastTool(steps)) === TRANSFER_TOOL) end = 'transfer';
  return { steps, finalObservation: pending.join('\n\n'), ...(system !== undefined ? { system } : {}), end };
}

function lastTool(steps: readonly TauStep[]): string | undefined {
  const a = steps[steps.length - 1]?.action;
  return a !== null && typeof a === 'object' && !Array.isArray(a) && typeof a.tool === 'string' ? a.tool : undefined;
}

/** The domain named by a τ-bench system prompt's first line, e.g. `# Airline Agent Policy`. */
export function domainFromSystemPrompt(traj: readonly TauMessage[]): string | null {
  const sys = traj.find((m) => m.role === 'system');
  if (sys === undefined || sys.role !== 'system') return null;
  const m = /^#\s*([A-Za-z]+)\s+agent\s+policy/i.exec(sys.content.trimStart());
  return m ? m[1].toLowerCase() : null;
}
