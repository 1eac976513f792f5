import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/core/index.js';
import { omittedNote } from '../../src/llm/index.js';
import { chatItems, localSystemPrompt } from '../../src/llm/local/index.js';

// The note's wording is the shared prompt module's (src/llm/prompt.ts).
const HIDDEN_ONE = omittedNote(1)!;

const obs = (text: string) => ({ data: null, text });
const entry = (t: number, action: unknown, reward = 0, feedback?: string): HistoryEntry => ({
  t,
  observation: obs(`obs ${t}`),
  action: action as never,
  reward,
  ...(feedback ? { feedback } : {}),
});
const SPACE = { kind: 'discrete', actions: ['N', 'E'] } as const;

describe('local prompt', () => {
  it('opens with the system prompt and the instructions, then asks for the action at the first step', () => {
    const items = chatItems({ envName: 'maze', system: undefined, instructions: 'RULES', window: 'full', history: [], observation: obs('start'), space: SPACE });
    expect(items).toEqual([
      { type: 'system', text: `${localSystemPrompt('maze')}\n\nRULES` },
      { type: 'user', text: 'start\n\nReply with {"action": …} where the action is one of: N, E.' },
    ]);
  });

  it('shows the window of past steps with canonical replies and the feedback of each step in the next turn', () => {
    const history = [entry(1, 'N', 1), entry(2, 'E', 0, 'wall'), entry(3, { b: 1, a: 2 }, 0)];
    const items = chatItems({ envName: 'maze', system: 'SYS', instructions: undefined, window: 2, history, observation: obs('now'), space: SPACE });
    expect(items).toEqual([
      { type: 'system', text: 'SYS' },
      { type: 'user', text: `${HIDDEN_ONE}\n\nAccepted. Reward: 1.\n\nobs 2` },
      { type: 'model', response: ['{"action":"E"}'] },
      { type: 'user', text: 'Refused: wall. The state did not change.\n\nobs 3' },
      { type: 'model', response: ['{"action":{"a":2,"b":1}}'] },
      { type: 'user', text: 'Accepted. Reward: 0.\n\nnow\n\nReply with {"action": …} where the action is one of: N, E.' },
    ]);
  });

  it('with a window of 0 still tells the result of the last step', () => {
    const items = chatItems({ envName: 'maze', system: 'SYS', instructions: undefined, window: 0, history: [entry(1, 'N', 1)], observation: obs('now'), space: SPACE });
    expect(items.map((i) => i.type)).toEqual(['system', 'user']);
    expect(items[1]).toEqual({ type: 'user', text: `${HIDDEN_ONE}\n\nAccepted. Reward: 1.\n\nnow\n\nReply with {"action": …} where the action is one of: N, E.` });
  });
});
