/**
 * Tool-use round trips through the real engine and the real SDK over HTTP:
 * the server computes the right kv-sum answer from the request it gets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { costUsd, priceFor } from '../../src/llm/index.js';
import { cleanup, rollouts, run, scenarioSpec, SENTINEL_KEY, steps, tempDir } from './helpers.js';
import { kvStep, kvSumAnswer, lastToolResults, message, startMessagesServer, type MessagesServer } from './server.js';

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer(SENTINEL_KEY, (r) => message(r.n, { input: { action: kvSumAnswer(r.body) }, text: `step ${kvStep(r.body)}` }));
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  cleanup();
});

describe('anthropic agent on kv-sum', () => {
  it('acts through the act tool, succeeds, and logs request id, usage and cost per step', async () => {
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [3], rollouts: 2 }), out);
    expect(summary.terminations).toEqual({ terminated: 2, truncated: 0, error: 0 });
    expect(server.requests.length).toBe(6);
    expect(server.unauthorized).toBe(0);
    // The SDK sends the key as a bearer token.
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${SENTINEL_KEY}`);

    const lines = steps(out);
    expect(lines).toHaveLength(6);
    for (const l of lines) {
      expect(l.action).toBe(l.oracle);
      expect(l.reward).toBe(1);
      expect(l.invalid).toBeUndefined();
      expect(l.info).toMatchObject({ stopReason: 'tool_use', inputTokens: 1000, outputTokens: 100, cacheReadTokens: 2000, cacheWriteTokens: 500, thinkingChars: 0, attempts: 1 });
      expect(l.info.requestId).toMatch(/^req_\d{6}$/);
      expect(l.info.text).toBe(`step ${l.t}`);
      // Haiku 4.5: $1 in, $5 out, $1.25 cache write, $0.10 cache read per MTok.
      expect(l.info.costUsd).toBeCloseTo((1000 * 1 + 100 * 5 + 500 * 1.25 + 2000 * 0.1) / 1e6, 12);
      expect(l.timing).toMatchObject({ calls: 1, cacheHits: 0 });
      expect(typeof l.timing.latencyMs).toBe('number');
    }
    for (const r of rollouts(out)) {
      expect(r.outcome.success).toBe(true);
      expect(r.info).toEqual({ calls: 3, inputTokens: 3000, outputTokens: 300, cacheReadTokens: 6000, cacheWriteTokens: 1500, costUsd: 0.006975, invalidReplies: 0 });
    }
    expect(existsSync(join(out, 'cache'))).toBe(true);
  });

  it('sends tools from the zod schema, the instructions in the cached prefix, and feedback as tool results', async () => {
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1 }), out);
    const [first, second] = server.requests.map((r) => r.body);
    expect(first.tools).toEqual([
      {
        name: 'act',
        description: 'Take your action for this step. The action is an integer: the new running sum.',
        input_schema: { type: 'object', properties: { action: { type: 'integer' } }, required: ['action'], additionalProperties: false },
      },
    ]);
    expect(first.tool_choice).toBeUndefined();
    expect(first.model).toBe('claude-haiku-4-5');
    expect(first.max_tokens).toBe(1024);
    // System prompt, then the dictionary; the breakpoint closes the stable prefix.
    expect(first.system).toHaveLength(2);
    expect(first.system![1].text).toMatch(/^You keep a running sum\./);
    expect(first.system![1].cache_control).toEqual({ type: 'ephemeral' });
    expect(first.system![0].cache_control).toBeUndefined();
    expect(first.messages).toHaveLength(1);
    // Full history: step 2 shows step 1's reply and its result, and caches the conversation.
    expect(second.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(second.messages[1].content).toEqual([
      { type: 'text', text: 'step 1' },
      { type: 'tool_use', id: 'toolu_000001', name: 'act', input: { action: kvSumAnswer(first) } },
    ]);
    expect(lastToolResults(second)).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_000001', content: 'Accepted. Reward: 1.' }]);
    const lastBlock = second.messages[2].content.at(-1);
    expect(lastBlock.cache_control).toEqual({ type: 'ephemeral' });
    expect(lastBlock.text).toMatch(/^Step 2\./);
  });

  it('honours the history window, sampling params, thinking and prompt caching off', async () => {
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [3], rollouts: 1, agent: { history: 1, promptCaching: false, thinking: 2048, maxTokens: 4096, effort: 'low', system: 'Be exact.' } }), out);
    const third = server.requests[2].body;
    expect(third.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(third.output_config).toEqual({ effort: 'low' });
    expect(third.system![0].text).toBe('Be exact.');
    expect(JSON.stringify(third)).not.toContain('cache_control');
    // Window 1: only step 2 is shown again, after a note.
    expect(third.messages).toHaveLength(3);
    expect(third.messages[0].content[0].text).toMatch(/^\(The first 1 step is not shown\.\)\n\nStep 2\./);

    server.requests.length = 0;
    const out2 = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: { temperature: 0.3, topP: 0.9, toolChoice: 'any' } }), out2);
    expect(server.requests[0].body).toMatchObject({ temperature: 0.3, top_p: 0.9, tool_choice: { type: 'any' } });
  });

  it('the server takes x-api-key as well as a bearer token, and a wrong key fails the rollout with 401', async () => {
    const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, system: [{ type: 'text', text: 'a: 1' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Step 1. Your running sum so far: 0. Keys: a. Reply.' }] }] });
    const ok = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': SENTINEL_KEY, 'content-type': 'application/json' }, body });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).content.at(-1).input).toEqual({ action: 1 });
    process.env.HOTMESS_TEST_WRONG_KEY = 'sk-ant-wrong';
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: { apiKeyEnv: 'HOTMESS_TEST_WRONG_KEY' } }), out);
    expect(summary.terminations.error).toBe(1);
    expect(server.unauthorized).toBeGreaterThan(0);
    expect(rollouts(out)[0].error).toBe('agent at t=1: anthropic: HTTP 401 authentication_error: invalid x-api-key');
  });

  it('prices a step exactly as the price table says', () => {
    const p = priceFor('claude-haiku-4-5-20251001')!;
    expect(costUsd(p, { input: 1000, output: 100, cacheRead: 2000, cacheWrite: 500, cacheWrite1h: 0 })).toBe(0.002325);
  });
});
