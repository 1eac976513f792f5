/**
 * One Inspect sample's conversation as hotmess steps: each assistant turn is
 * a step whose action is its tool call(s) or `respond` with the hash of its
 * text; the user and tool messages before it are the observation it
 * answered. Attachment references (`attachment://…`) are resolved first,
 * and a v3 sample whose `messages` are missing is rebuilt from its last
 * model event, whose input is a list of ranges into the message pool.
 * Pure; no I/O.
 */
import { hashString, HotmessError, type Json } from '../../core/index.js';
import { MessageSchema, ModelEventSchema, type Message, type Sample } from './schema.js';

export interface InspectStep {
  readonly action: Json;
  /** The assistant's text, kept out of the action when it called tools. */
  readonly text?: string;
  readonly observation: string;
  readonly model?: string;
}

export interface InspectTurns {
  readonly steps: InspectStep[];
  /** Messages after the last assistant turn. */
  readonly finalObservation: string;
  /** Hash of the system prompt(s), identical across epochs of a task. */
  readonly system?: string;
  /** Where the messages came from: the sample's list, or rebuilt from the v3 pool. */
  readonly source: 'messages' | 'message-pool';
}

const ATTACHMENT = 'attachment://';

/** Replace `attachment://<hash>` strings anywhere in a JSON value by their text. */
export function resolveAttachments(value: unknown, attachments: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ATTACHMENT)) return value;
    return attachments[value.slice(ATTACHMENT.length)] ?? value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveAttachments(v, attachments));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveAttachments(v, attachments);
    return out;
  }
  return value;
}

/** The text of a message's content: strings as they are, text parts joined, other parts named. */
export function contentText(content: Message['content']): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      const p = part as { type: string; text?: unknown; reasoning?: unknown };
      if (p.type === 'text' && typeof p.text === 'string') return p.text;
      // Reasoning is the model's scratchpad, not what it said or did.
      if (p.type === 'reasoning') return '';
      return `[${p.type}]`;
    })
    .filter((s) => s !== '')
    .join('\n');
}

function render(m: Message): string {
  const text = contentText(m.content);
  if (m.role === 'tool') return m.function ? `tool ${m.function}: ${text}` : `tool: ${text}`;
  return `${m.role}: ${text}`;
}

/** An assistant turn's action: `{tool, args}`, `{tools: [...]}` for several calls, or `{respond: hash}`. */
function actionOf(m: Extract<Message, { role: 'assistant' }>, text: string): Json {
  const calls = (m.tool_calls ?? []).map((c) => ({ tool: c.function, args: (c.arguments ?? {}) as Json }));
  if (calls.length === 1) return calls[0];
  if (calls.length > 1) return { tools: calls };
  return { respond: hashString(text) };
}

/**
 * The sample's messages: its `messages` list, or, when that is empty, the
 * input of its last model event (expanded from the v3 message pool) plus
 * that event's output message.
 */
export function sampleMessages(sample: Sample): { messages: unknown[]; source: InspectTurns['source'] } {
  if (sample.messages && sample.messages.length > 0) return { messages: sample.messages, source: 'messages' };
  const pool = sample.message_pool ?? sample.events_data?.messages ?? [];
  const events = sample.events ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    const parsed = ModelEventSchema.safeParse(events[i]);
    if (!parsed.success) continue;
    const e = parsed.data;
    const input: unknown[] = e.input_refs ? e.input_refs.flatMap(([from, to]) => pool.slice(from, to)) : (e.input ?? []);
    const out = (e.output as { choices?: Array<{ message?: unknown }> } | undefined)?.choices?.[0]?.message;
    return { messages: out !== undefined ? [...input, out] : input, source: e.input_refs ? 'message-pool' : 'messages' };
  }
  return { messages: [], source: 'messages' };
}

/**
 * Split a sample's conversation into steps. `where(path)` names a field for
 * error messages; a message that is not a chat message is bad input.
 */
export function inspectTurns(sample: Sample, attachments: Readonly<Record<string, string>>, where: (path: string) => string): InspectTurns {
  const { messages, source } = sampleMessages(sample);
  const steps: InspectStep[] = [];
  let pending: string[] = [];
  const system: string[] = [];
  const hasAttachments = Object.keys(attachments).length > 0;
  messages.forEach((raw, i) => {
    const parsed = MessageSchema.safeParse(hasAttachments ? resolveAttachments(raw, attachments) : raw);
    if (!parsed.success) {
      const role = (raw as { role?: unknown } | null)?.role;
      throw new HotmessError('input', `${where(`messages[${i}]`)}: not a chat message (role ${JSON.stringify(role ?? null)})`);
    }
    const m = parsed.data;
    if (m.role === 'system') {
      system.push(contentText(m.content));
      return;
    }
    if (m.role !== 'assistant') {
      pending.push(render(m));
      return;
    }
    const text = contentText(m.content);
    steps.push({
      action: actionOf(m, text),
      ...(text !== '' ? { text } : {}),
      observation: pending.join('\n\n'),
      ...(m.model ? { model: m.model } : {}),
    });
    pending = [];
  });
  return { steps, finalObservation: pending.join('\n\n'), ...(system.length > 0 ? { system: hashString(system.join('\n\n')) } : {}), source };
}
