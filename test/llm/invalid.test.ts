/**
 * Bad replies never crash a run: malformed tool input is re-asked with the
 * reason, then logged as an invalid no-op step; an illegal move (a maze
 * wall) is logged `illegal` and the model is told; a reply that is not a
 * message fails only its rollout.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readToolInput, actionTool } from '../../src/llm/index.js';
import { rollouts, run, scenarioSpec, steps, tempDir, useMessagesServer } from './helpers.js';
import { isRetry, kvSumAnswer, lastToolResults, lastUserText, message, type Handler, type MessagesServer } from './server.js';
import { z } from 'zod';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

describe('malformed tool input', () => {
  it('is re-asked with the reason within the step, and the corrected answer is taken', async () => {
    server.handler = (r) => (r.n === 1 ? message(r.n, { input: { sum: 5 } }) : right(r));
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1 }), out);
    expect(server.requests).toHaveLength(3);
    const retry = server.requests[1].body;
    expect(isRetry(retry)).toBe(true);
    expect(lastToolResults(retry)).toEqual([
      {
        type: 'tool_result',
        tool_use_id: 'toolu_000001',
        content: 'Invalid: the tool input has no "action" field. Call the `act` tool again with one legal action.',
        is_error: true,
        // The last block of a full-history request closes the cached conversation.
        cache_control: { type: 'ephemeral' },
      },
    ]);
    const [s1, s2] = steps(out);
    expect(s1.invalid).toBeUndefined();
    expect(s1.reward).toBe(1);
    expect(s1.info.attempts).toBe(2);
    expect(s1.info.retried).toEqual([{ requestId: 'req_000001', reason: 'the tool input has no "action" field' }]);
    expect(s1.info.inputTokens).toBe(2000);
    // The retry exchange is not carried into later steps: step 2 shows only the accepted reply.
    expect(server.requests[2].body.messages).toHaveLength(3);
    expect(s2.info.attempts).toBe(1);
    expect(rollouts(out)[0].info).toMatchObject({ calls: 3, invalidReplies: 1 });
  });

  it('after the last retry, becomes an invalid no-op step and the run goes on', async () => {
    server.handler = (r) => (r.n <= 2 ? message(r.n, { input: { action: 'forty-two' } }) : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { retries: 1 } }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(3);
    const [s1, s2] = steps(out);
    expect(s1.action).toBe('forty-two');
    expect(s1.invalid).toMatch(/^not a valid action \(an integer: the new running sum\): /);
    expect(s1.reward).toBe(0);
    expect(s1.patches).toEqual([]);
    expect(s1.info.attempts).toBe(2);
    // The model hears that step 1 was refused.
    const next = server.requests[2].body;
    expect(lastToolResults(next)[0]).toMatchObject({ is_error: true });
    expect(lastToolResults(next)[0].content).toMatch(/^Refused: not a valid action .* The state did not change\.$/);
    // A refused step is a no-op: kv-sum asks for step 1's sum again.
    expect(lastUserText(next)).toMatch(/^Step 1\./);
    expect(s2.invalid).toBeUndefined();
    expect(s2.reward).toBe(1);
  });

  it('a reply with no tool call is an invalid step with action null', async () => {
    server.handler = (r) => (r.n === 1 ? message(r.n, { text: 'I think the answer is 7.' }) : right(r));
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { retries: 0 } }), out);
    const [s1] = steps(out);
    expect(s1.action).toBeNull();
    expect(s1.invalid).toBeDefined();
    expect(s1.info).toMatchObject({ attempts: 1, stopReason: 'end_turn', text: 'I think the answer is 7.' });
    expect(s1.invalid).toBe('no `act` tool call in the reply');
    expect(lastUserText(server.requests[1].body)).toMatch(/^Your previous reply made no tool call\. Refused: no `act` tool call in the reply\. The state did not change\.\nStep 1\./);
  });

  it('a reply that is not a message fails its rollout only when no retry is left', async () => {
    server.handler = (r) => (r.n === 1 ? { status: 200, json: { type: 'message', content: 'oops' } } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [1], rollouts: 2 }), out);
    expect(summary.terminations).toEqual({ terminated: 1, truncated: 0, error: 1 });
    expect(rollouts(out)[0].error).toBe('agent at t=1: anthropic: malformed response body (request req_000001): not a message (no content array) after 0 retries');
  });
});

describe('maze: discrete actions', () => {
  it('offers the moves as an enum and logs a move into a wall as illegal', async () => {
    // Always try the first direction that is NOT open: a wall.
    const wall: Handler = (r) => {
      const text = lastUserText(r.body);
      const open = /Open directions: ([^.]*)\./.exec(text)![1].split(', ');
      return message(r.n, { input: { action: ['N', 'E', 'S', 'W'].find((d) => !open.includes(d)) } });
    };
    server.handler = wall;
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { environment: 'maze', params: {}, horizons: [3], rollouts: 1 }), out);
    expect(summary.terminations.truncated).toBe(1);
    const first = server.requests[0].body;
    expect(first.tools![0].input_schema.properties.action).toEqual({ enum: ['N', 'E', 'S', 'W'] });
    expect(first.tools![0].description).toBe('Take your action for this step. The action is one of: N, E, S, W.');
    expect(first.system![1].text).toMatch(/grid maze/);
    for (const s of steps(out)) {
      expect(s.illegal).toBe('wall');
      expect(s.invalid).toBeUndefined();
    }
    expect(lastToolResults(server.requests[1].body)[0]).toMatchObject({ content: 'Refused: wall. The state did not change.', is_error: true });
  });
});

describe('readToolInput', () => {
  const ints = { kind: 'continuous' as const, schema: z.number().int(), description: 'an integer' };
  const moves = { kind: 'discrete' as const, actions: ['N', 'E'] };
  it('accepts exactly {action} with a legal action', () => {
    expect(readToolInput(ints, { action: 3 })).toEqual({ ok: true, action: 3 });
    expect(readToolInput(moves, { action: 'E' })).toEqual({ ok: true, action: 'E' });
  });
  it('names what is wrong otherwise', () => {
    expect(readToolInput(ints, 'x')).toMatchObject({ ok: false, reason: 'the tool input must be an object {"action": ...}' });
    expect(readToolInput(ints, { action: 3, why: 'because' })).toMatchObject({ ok: false, action: { action: 3, why: 'because' }, reason: 'unexpected field(s) "why"; give only "action"' });
    expect(readToolInput(ints, {})).toEqual({ ok: false, action: null, reason: 'the tool input has no "action" field' });
    expect(readToolInput(ints, 5)).toEqual({ ok: false, action: null, reason: 'the tool input must be an object {"action": ...}' });
    expect(readToolInput(ints, { action: 2.5 })).toMatchObject({ ok: false, action: 2.5 });
    expect(readToolInput(moves, { action: 'S' })).toEqual({ ok: false, action: 'S', reason: 'not a legal action: "S"' });
  });
  it('lists object actions as consts', () => {
    const space = { kind: 'discrete' as const, actions: [{ from: 0, to: 1 }, { from: 0, to: 2 }] };
    expect(actionTool(space).inputSchema.properties).toEqual({ action: { anyOf: [{ const: { from: 0, to: 1 } }, { const: { from: 0, to: 2 } }] } });
  });
});
