/**
 * The words model-backed agents send: the system prompt, the feedback on a
 * past step, and which past steps a history window keeps. Pure; shared by
 * every model-backed agent so that `anthropic` and `local` see the same task.
 */
import { z } from 'zod';
import type { HistoryEntry } from '../core/index.js';
import { ACTION_TOOL_NAME } from './tools.js';

/** How many past steps the prompt shows: all of them, or the last K (0: none). */
export const HistoryWindowSchema = z.union([z.literal('full'), z.number().int().min(0)]);
export type HistoryWindow = z.infer<typeof HistoryWindowSchema>;

/** Index into `history` of the first past step the window shows. */
export function windowStart(historyLength: number, window: HistoryWindow): number {
  return window === 'full' ? 0 : Math.max(0, historyLength - window);
}

export function defaultSystemPrompt(envName: string): string {
  return (
    `You are an agent acting in the environment "${envName}", one step at a time. ` +
    `At each step you receive an observation; respond by calling the \`${ACTION_TOOL_NAME}\` tool exactly once with your action. ` +
    `The result of each action comes back as the tool result (accepted with its reward, or refused with the reason, in which case the state did not change), followed by the next observation.`
  );
}

/**
 * The stable prefix of every request: the system prompt (or the scenario's
 * override) and the instance's instructions, as separate blocks.
 */
export function systemBlocks(envName: string, override: string | undefined, instructions: string | undefined): string[] {
  const blocks = [override ?? defaultSystemPrompt(envName)];
  if (instructions && instructions.length > 0) blocks.push(instructions);
  return blocks;
}

/** What the model is told about the outcome of a past step. */
export function stepFeedback(entry: HistoryEntry): { text: string; refused: boolean } {
  if (entry.feedback !== undefined) return { text: `Refused: ${entry.feedback}. The state did not change.`, refused: true };
  return { text: `Accepted. Reward: ${entry.reward}.`, refused: false };
}

/** The note that opens a windowed prompt when earlier steps are hidden. */
export function omittedNote(hidden: number): string | null {
  return hidden > 0 ? `(The first ${hidden} step${hidden === 1 ? ' is' : 's are'} not shown.)` : null;
}

/** The feedback after an invalid tool call, when the agent re-asks within the step. */
export function retryFeedback(reason: string): string {
  return `Invalid: ${reason}. Call the \`${ACTION_TOOL_NAME}\` tool again with one legal action.`;
}

export const NO_TOOL_CALL = `no \`${ACTION_TOOL_NAME}\` tool call in the reply`;
