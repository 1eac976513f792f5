/**
 * Reading a Messages API reply: the content to send back in later turns
 * (param form), the first tool call, the text, the thinking length and the
 * token usage. Pure; a reply that is not a message is a `HotmessError`.
 */
import { HotmessError, type Json } from '../../core/index.js';
import { ACTION_TOOL_NAME } from '../tools.js';
import { usageFromAnthropic, type TokenUsage } from '../usage.js';

export interface ParsedReply {
  /** Content blocks as they go back into the next request. */
  readonly content: Json[];
  /** Input of the first `act` tool call; undefined when there is none. */
  readonly toolInput: unknown;
  readonly hasToolCall: boolean;
  /** Text blocks, joined by blank lines. */
  readonly text: string;
  readonly thinkingChars: number;
  /** Thinking tokens the API reports (`output_tokens_details`), when it does. */
  readonly thinkingTokens: number | null;
  readonly stopReason: string | null;
  readonly usage: TokenUsage;
}

type Block = { [key: string]: Json };

export function parseReply(message: Json): ParsedReply {
  const m = message as { [key: string]: Json } | null;
  if (!m || typeof m !== 'object' || Array.isArray(m) || !Array.isArray(m.content)) {
    throw new HotmessError('network', 'anthropic: malformed reply: no content array');
  }
  const content: Json[] = [];
  const texts: string[] = [];
  let thinkingChars = 0;
  let toolInput: unknown = undefined;
  let hasToolCall = false;
  for (const raw of m.content as Block[]) {
    if (!raw || typeof raw !== 'object') continue;
    switch (raw.type) {
      case 'text':
        texts.push(String(raw.text ?? ''));
        // The API refuses empty text blocks in a request: keep them out of the transcript.
        if (String(raw.text ?? '').length > 0) content.push({ type: 'text', text: String(raw.text) });
        break;
      case 'thinking':
        thinkingChars += String(raw.thinking ?? '').length;
        content.push({ type: 'thinking', thinking: raw.thinking ?? '', signature: raw.signature ?? '' });
        break;
      case 'redacted_thinking':
        content.push({ type: 'redacted_thinking', data: raw.data ?? '' });
        break;
      case 'tool_use':
        content.push({ type: 'tool_use', id: raw.id ?? '', name: raw.name ?? '', input: raw.input ?? {} });
        if (!hasToolCall && raw.name === ACTION_TOOL_NAME) {
          hasToolCall = true;
          toolInput = raw.input;
        }
        break;
      default:
        // Server-side blocks (search results...) are not ours to send back.
        break;
    }
  }
  const usage = usageFromAnthropic(m.usage);
  const details = (m.usage as { output_tokens_details?: { thinking_tokens?: unknown } } | null)?.output_tokens_details;
  const thinkingTokens = typeof details?.thinking_tokens === 'number' ? details.thinking_tokens : null;
  return {
    content,
    toolInput,
    hasToolCall,
    text: texts.join('\n\n'),
    thinkingChars,
    thinkingTokens,
    stopReason: typeof m.stop_reason === 'string' ? m.stop_reason : null,
    usage,
  };
}
