/**
 * The chat a local model reads at one step, as node-llama-cpp chat-history
 * items (the model's own chat template renders them). It shows the same
 * task as the `anthropic` agent (src/llm prompt pieces: system prompt,
 * instructions, feedback, history window), but there is no tool call: the
 * reply is the JSON object `{"action": …}` itself, held to the action
 * schema by a grammar. Past replies are shown in canonical form, so a
 * replayed (forked) prefix reads exactly like one the model wrote. Pure.
 */
import { canonicalJson, type ActionSpace, type History, type Observation } from '../../core/index.js';
import { describeSpace, omittedNote, stepFeedback, systemBlocks, windowStart, type HistoryWindow } from '../index.js';

export type ChatItem = { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };

export function localSystemPrompt(envName: string): string {
  return (
    `You are an agent acting in the environment "${envName}", one step at a time. ` +
    'At each step you receive an observation; reply with one JSON object {"action": <your action>} and nothing else. ' +
    'Each following message starts with the result of your last action: accepted with its reward, or refused with the reason (the state did not change).'
  );
}

export interface PromptInput {
  readonly envName: string;
  readonly system: string | undefined;
  readonly instructions: string | undefined;
  readonly window: HistoryWindow;
  readonly history: History;
  readonly observation: Observation;
  readonly space: ActionSpace;
}

/** The reply shown for a past step: what the grammar makes the model write, canonically. */
export const replyText = (action: unknown): string => canonicalJson({ action });

export function chatItems(p: PromptInput): ChatItem[] {
  const items: ChatItem[] = [{ type: 'system', text: systemBlocks(p.envName, p.system ?? localSystemPrompt(p.envName), p.instructions).join('\n\n') }];
  const { history } = p;
  const start = windowStart(history.length, p.window);
  let note = omittedNote(start);
  const user = (i: number, body: string): string => {
    const parts: string[] = [];
    if (note) parts.push(note);
    note = null;
    if (i > 0) parts.push(stepFeedback(history[i - 1]).text);
    parts.push(body);
    return parts.join('\n\n');
  };
  for (let i = start; i < history.length; i++) {
    items.push({ type: 'user', text: user(i, history[i].observation.text) });
    items.push({ type: 'model', response: [replyText(history[i].action)] });
  }
  const ask = `Reply with {"action": …} where the action is ${describeSpace(p.space)}.`;
  items.push({ type: 'user', text: user(history.length, `${p.observation.text}\n\n${ask}`) });
  return items;
}
