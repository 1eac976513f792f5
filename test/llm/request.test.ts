/** The request builder: pure, deterministic, and well-formed in the corner cases. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildChatRequest, buildRequest, ChatRequestMemo, parseReply, RequestMemo, serialiseRequest, type ChatSettings, type ChatTurn, type RequestSettings, type StepRequestInput } from '../../src/llm/index.js';
import { canonicalJson, type HistoryEntry, type Json } from '../../src/core/index.js';

const settings: RequestSettings = { model: 'claude-haiku-4-5', maxTokens: 256, toolChoice: 'auto', promptCaching: true, history: 'full' };
const space = { kind: 'continuous' as const, schema: z.number().int(), description: 'an integer' };
const obs = (k: number) => ({ data: k, text: `obs ${k}` });
const entry = (t: number, action: number, feedback?: string): HistoryEntry => ({ t, observation: obs(t), action, reward: feedback ? 0 : 1, ...(feedback ? { feedback } : {}) });
const input = (o: Partial<StepRequestInput>): StepRequestInput => ({ settings, envName: 'toy', instructions: undefined, space, history: [], turns: new Map(), observation: obs(1), retries: [], ...o });

describe('buildRequest', () => {
  it('is a pure function of its input', () => {
    const i = input({ history: [entry(1, 5)], observation: obs(2) });
    expect(JSON.stringify(buildRequest(i))).toBe(JSON.stringify(buildRequest(i)));
  });

  it('shows replayed steps (no recorded reply) as synthetic tool calls', () => {
    const r = buildRequest(input({ history: [entry(1, 5), entry(2, 7, 'not allowed')], observation: obs(3) })) as any;
    expect(r.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(r.messages[1].content).toEqual([{ type: 'tool_use', id: 'toolu_hm_1', name: 'act', input: { action: 5 } }]);
    expect(r.messages[4].content[0]).toEqual({ type: 'tool_result', tool_use_id: 'toolu_hm_2', content: 'Refused: not allowed. The state did not change.', is_error: true });
    expect(r.messages[4].content[1]).toEqual({ type: 'text', text: 'obs 3', cache_control: { type: 'ephemeral' } });
    // No instructions: the system prompt alone carries the breakpoint.
    expect(r.system).toHaveLength(1);
    expect(r.system[0].cache_control).toEqual({ type: 'ephemeral' });
  });

  it('answers every tool call of a reply, refusing all but the first', () => {
    const reply = parseReply({
      content: [
        { type: 'tool_use', id: 'a', name: 'act', input: { action: 1 } },
        { type: 'tool_use', id: 'b', name: 'act', input: { action: 2 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(reply.toolInput).toEqual({ action: 1 });
    const r = buildRequest(input({ history: [entry(1, 1)], turns: new Map([[1, reply.content]]), observation: obs(2), settings: { ...settings, promptCaching: false } })) as any;
    expect(r.messages[2].content).toEqual([
      { type: 'tool_result', tool_use_id: 'a', content: 'Accepted. Reward: 1.' },
      { type: 'tool_result', tool_use_id: 'b', content: 'Ignored: one action per step.', is_error: true },
      { type: 'text', text: 'obs 2' },
    ]);
  });

  it('never sends an empty assistant turn or an empty text block', () => {
    const empty = parseReply({ content: [{ type: 'text', text: '' }], stop_reason: 'max_tokens', usage: {} });
    expect(empty.content).toEqual([]);
    expect(empty.hasToolCall).toBe(false);
    const r = buildRequest(input({ retries: [{ content: empty.content, reason: 'no tool call' }] })) as any;
    expect(r.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: '(empty reply)' }] });
    expect(r.messages[2].content[0].text).toBe('Your previous reply made no tool call. Invalid: no tool call. Call the `act` tool again with one legal action.');
  });

  it('counts thinking and keeps its signature for the next turn', () => {
    const reply = parseReply({
      content: [
        { type: 'thinking', thinking: 'abcd', signature: 's1' },
        { type: 'redacted_thinking', data: 'xx' },
        { type: 'text', text: 'sum is 3' },
        { type: 'tool_use', id: 't', name: 'act', input: { action: 3 }, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: null, output_tokens_details: { thinking_tokens: 12 } },
    });
    expect(reply.thinkingChars).toBe(4);
    expect(reply.thinkingTokens).toBe(12);
    expect(reply.text).toBe('sum is 3');
    expect(reply.usage).toEqual({ input: 10, output: 20, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 });
    expect(reply.content).toEqual([
      { type: 'thinking', thinking: 'abcd', signature: 's1' },
      { type: 'redacted_thinking', data: 'xx' },
      { type: 'text', text: 'sum is 3' },
      { type: 'tool_use', id: 't', name: 'act', input: { action: 3 } },
    ]);
  });
});

describe('a rollout of requests with a RequestMemo', () => {
  // Replies with one, two or no tool calls, thinking and text; refused steps; a step with no recorded reply; retries.
  const reply = (t: number): Json[] =>
    t % 5 === 0
      ? []
      : t % 3 === 0
        ? [
            { type: 'thinking', thinking: `think ${t}`, signature: `s${t}` },
            { type: 'tool_use', id: `a${t}`, name: 'act', input: { action: t, note: { z: 1, a: [t, 'é'] } } },
            { type: 'tool_use', id: `b${t}`, name: 'act', input: { action: -t } },
          ]
        : [
            { type: 'text', text: `step ${t} ✓` },
            { type: 'tool_use', id: `a${t}`, name: 'act', input: { action: t } },
          ];

  for (const window of ['full', 3, 1, 0] as const) {
    it(`builds and serialises each step as the memo-less builder and canonicalJson do (history: ${window})`, () => {
      const memo = new RequestMemo();
      const history: HistoryEntry[] = [];
      const turns = new Map<number, readonly Json[]>();
      const s: RequestSettings = { ...settings, history: window, temperature: 0.5, effort: 'high' };
      // The space changes under the memo (same schema, another description; discrete lists, one of them met again),
      // and so do the instructions: the memoised system blocks and tools must follow.
      const moves = ['up', 'down'];
      const spaces = [space, { ...space, description: 'an integer, larger' }, { kind: 'discrete' as const, actions: moves }, { kind: 'discrete' as const, actions: ['left', 'right', { to: 3 }] }];
      for (let t = 1; t <= 14; t++) {
        const retries = t % 4 === 0 ? [{ content: reply(t), reason: 'not legal' }] : [];
        const at = { settings: s, envName: 'toy', instructions: t < 9 ? 'keys: a b' : 'keys: c', space: { ...spaces[(t * 7) % 4] }, history: [...history], turns, observation: obs(t), retries };
        const plain = buildRequest(at);
        const memoised = buildRequest({ ...at, history, memo });
        expect(memoised).toEqual(plain);
        expect(serialiseRequest(memoised, memo)).toBe(canonicalJson(plain));
        // Built again at the same step (an attempt after an invalid reply): still the same.
        expect(serialiseRequest(buildRequest({ ...at, history, memo }), memo)).toBe(canonicalJson(plain));
        if (t !== 7) turns.set(t, reply(t)); // step 7 has no recorded reply: shown as a synthetic tool call
        history.push(entry(t, t, t % 6 === 0 ? 'out of range' : undefined));
      }
    });
  }
});

describe('a rollout of Chat Completions requests with a ChatRequestMemo', () => {
  const reply = (t: number): ChatTurn =>
    t % 5 === 0 ? { content: null, calls: [] } : t % 3 === 0 ? { content: `two calls ✓ ${t}`, calls: [{ name: 'act', arguments: `{"action":${t}}` }, { name: 'act', arguments: '{"action":0}' }] } : { content: null, calls: [{ name: 'act', arguments: `{"action":${t}}` }] };
  for (const window of ['full', 3, 1, 0] as const) {
    it(`builds and serialises each step as the memo-less builder and canonicalJson do (history: ${window})`, () => {
      const memo = new ChatRequestMemo();
      const history: HistoryEntry[] = [];
      const turns = new Map<number, ChatTurn>();
      const s: ChatSettings = { model: 'm', maxTokens: 64, toolChoice: 'auto', history: window, temperature: 0.2 };
      for (let t = 1; t <= 14; t++) {
        const retries = t % 4 === 0 ? [{ turn: reply(t), reason: 'not legal' }] : [];
        const at = { settings: s, envName: 'toy', instructions: 'keys', space, history: [...history], turns, observation: obs(t), retries, rolloutId: 'g0/r1', seed: t, n: t % 2 === 0 ? 3 : undefined };
        const plain = buildChatRequest(at);
        const memoised = buildChatRequest({ ...at, history, memo });
        expect(memoised).toEqual(plain);
        expect(serialiseRequest(memoised, memo)).toBe(canonicalJson(plain));
        expect(serialiseRequest(buildChatRequest({ ...at, history, memo, seed: t + 100 }), memo)).toBe(canonicalJson(buildChatRequest({ ...at, seed: t + 100 })));
        if (t !== 7) turns.set(t, reply(t));
        history.push(entry(t, t, t % 6 === 0 ? 'out of range' : undefined));
      }
    });
  }
});
