/**
 * The `openai` agent against an OpenAI-compatible server started here on
 * 127.0.0.1, through the real `openai` SDK and the real engine: tool-call
 * round trips with ids derived from (rollout, t), malformed arguments,
 * 429/5xx with retry-after, seeds, logprobs, n > 1 refused or ignored,
 * replay with zero requests, and the key never written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import ensemble from '../../agents/ensemble.js';
import openai from '../../agents/openai.js';
import kvSum from '../../environments/kv-sum.js';
import maze from '../../environments/maze.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../../src/engine/index.js';
import { createLlmRuntime, type LlmRuntime } from '../../src/llm/index.js';
import { allFiles, cleanup, rollouts, steps, tempDir, withoutTiming } from './helpers.js';
import { argTokens, chatKvAnswer, chatKvStep, completion, startChatServer, type ChatBody, type ChatServer } from './openai-server.js';

const KEY = 'sk-proj-SENTINEL-openai-never-log-91b2c3';
const KEY_ENV = 'HOTMESS_TEST_OPENAI_KEY';
process.env[KEY_ENV] = KEY;
const REG: Registry = { environments: { 'kv-sum': kvSum, maze }, agents: { openai, ensemble } };

/** A seeded model: right with probability 0.7, decided by a hash of (seed, messages); without a seed, by chance. */
function seededModel(r: { body: ChatBody }) {
  const b = r.body;
  const right = chatKvAnswer(b);
  const u = b.seed === undefined ? randomBytes(4).readUInt32BE(0) / 2 ** 32 : createHash('sha256').update(JSON.stringify([b.seed, b.messages])).digest().readUInt32BE(0) / 2 ** 32;
  const action = u < 0.7 ? right : right + 1;
  return completion(b.model, [{ args: JSON.stringify({ action }), text: `step ${chatKvStep(b)}` }]);
}

let server: ChatServer;
beforeAll(async () => {
  server = await startChatServer(KEY, seededModel);
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  server.handler = seededModel;
  cleanup();
});

function spec(o: { agent?: Record<string, unknown>; horizons?: number[]; rollouts?: number; environment?: string; params?: Record<string, unknown>; kind?: string; concurrency?: number } = {}) {
  const params = { model: 'qwen3-test', baseURL: server.url, apiKeyEnv: KEY_ENV, maxRetries: 0, ...(o.agent ?? {}) };
  return {
    name: 'openai-test',
    environment: o.environment ?? 'kv-sum',
    params: o.params ?? { dictSize: 8, keysPerStep: 1 },
    horizons: o.horizons ?? [3],
    instances: 1,
    rollouts: o.rollouts ?? 2,
    seed: 5,
    concurrency: o.concurrency ?? 1,
    agents: [o.kind === 'ensemble' ? { name: 'vote', kind: 'ensemble', params: { inner: { kind: 'openai', params }, samples: 3 } } : { name: 'qwen', kind: 'openai', params }],
  };
}

async function go(s: unknown, out: string, runtime?: LlmRuntime) {
  const resolved = await resolveScenario(parseScenario(s), REG, null);
  const rt = runtime ?? createLlmRuntime({ cacheDir: join(out, 'cache'), runDir: out, maxRequests: Infinity, onNotice: () => undefined });
  const summary = await runScenario(resolved, { out, registry: REG, version: 'test', services: rt.services() });
  return { summary, runtime: rt };
}

describe('openai agent', () => {
  it('round-trips tool calls, names past calls by ids from (rollout, t), and costs 0 on a loopback server', async () => {
    server.handler = (r) => completion(r.body.model, [{ args: JSON.stringify({ action: chatKvAnswer(r.body) }), text: 'ok' }]);
    const out = join(tempDir(), 'run');
    const { summary } = await go(spec({ horizons: [3], rollouts: 2 }), out);
    expect(summary.terminations).toEqual({ terminated: 2, truncated: 0, error: 0 });
    expect(server.requests).toHaveLength(6);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    const first = server.requests[0].body;
    expect(first.tools).toEqual([{ type: 'function', function: { name: 'act', description: 'Take your action for this step. The action is an integer: the new running sum.', parameters: { type: 'object', properties: { action: { type: 'integer' } }, required: ['action'], additionalProperties: false } } }]);
    expect(first.tool_choice).toBe('auto');
    expect(typeof first.seed).toBe('number');
    // Step 3 of the first rollout: the two past calls carry our ids, not the server's random ones.
    const third = server.requests[2].body;
    const rolloutHash = createHash('sha256').update('qwen:3:0:0').digest('hex').slice(0, 10);
    const ids = third.messages.filter((m) => m.role === 'assistant').map((m) => m.tool_calls![0].id);
    expect(ids).toEqual([`call_${rolloutHash}_1`, `call_${rolloutHash}_2`]);
    expect(third.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content])).toEqual([
      [`call_${rolloutHash}_1`, 'Accepted. Reward: 1.'],
      [`call_${rolloutHash}_2`, 'Accepted. Reward: 1.'],
    ]);
    for (const l of steps(out)) {
      expect(l.action).toBe(l.oracle);
      expect(l.info).toMatchObject({ finishReason: 'tool_calls', inputTokens: 900, outputTokens: 30, cacheReadTokens: 0, text: 'ok', costUsd: 0, attempts: 1 });
      expect(l.timing.requestId).toMatch(/^req-[0-9a-f]{12}$/);
    }
    for (const r of rollouts(out)) expect(r.info).toEqual({ calls: 3, inputTokens: 2700, outputTokens: 90, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, invalidReplies: 0 });
  });

  it('re-asks after malformed arguments with the reason, and logs the step invalid after the retries', async () => {
    server.handler = (r) => completion(r.body.model, [{ args: '{"action": 12' }]);
    const out = join(tempDir(), 'run');
    await go(spec({ horizons: [1], rollouts: 1, agent: { retries: 1 } }), out);
    expect(server.requests).toHaveLength(2);
    const reask = server.requests[1].body.messages;
    const tool = reask[reask.length - 1];
    expect(tool.role).toBe('tool');
    expect(tool.content).toBe('Invalid: the tool call\'s arguments are not valid JSON: {"action": 12. Call the `act` tool again with one legal action.');
    const [step] = steps(out);
    expect(step.invalid).toBe('the tool call\'s arguments are not valid JSON: {"action": 12');
    expect(step.info.attempts).toBe(2);
    expect(rollouts(out)[0].info.invalidReplies).toBe(2);
  });

  it('waits out 429 and 5xx with retry-after through the SDK retries', async () => {
    let calls = 0;
    server.handler = (r) => {
      calls++;
      if (calls === 1) return { status: 429, headers: { 'retry-after-ms': '30' }, json: { error: { message: 'Rate limit', type: 'rate_limit_error' } } };
      if (calls === 2) return { status: 503, headers: { 'retry-after-ms': '10' }, json: { error: { message: 'busy', type: 'server_error' } } };
      return completion(r.body.model, [{ args: JSON.stringify({ action: chatKvAnswer(r.body) }) }]);
    };
    const out = join(tempDir(), 'run');
    const { summary } = await go(spec({ horizons: [1], rollouts: 1, agent: { maxRetries: 3 } }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a 200 whose body is not a chat completion, and never caches it', async () => {
    let calls = 0;
    server.handler = (r) => {
      calls++;
      if (calls === 1) return { status: 200, json: { id: 'x', object: 'chat.completion' } };
      return completion(r.body.model, [{ args: JSON.stringify({ action: chatKvAnswer(r.body) }) }]);
    };
    const out = join(tempDir(), 'run');
    const { summary } = await go(spec({ horizons: [1], rollouts: 1, agent: { maxRetries: 2, retryDelayMs: 1 } }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(steps(out)[0].timing.calls).toBe(2);
    const ledger = readFileSync(join(out, 'cost.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(2);
  });

  it('ends a rollout in error with the status after its retries, key scrubbed', async () => {
    server.handler = () => ({ status: 500, json: { error: { message: `boom ${KEY}`, type: 'server_error' } } });
    const out = join(tempDir(), 'run');
    const { summary } = await go(spec({ horizons: [1], rollouts: 1, agent: { maxRetries: 1, retryDelayMs: 1 } }), out);
    expect(summary.terminations.error).toBe(1);
    const r = rollouts(out)[0];
    expect(r.error).toMatch(/^agent at t=1: openai: HTTP 500 server_error: boom \[redacted\] \(request req-[0-9a-f]+\) after 1 retry$/);
  });

  it('gives byte-identical logs on a seeded rerun without the cache, and different ones with seed: none', async () => {
    const runNoCache = async (seed: string) => {
      const out = join(tempDir(), 'run');
      await go(spec({ horizons: [6], rollouts: 4, agent: { seed } }), out, createLlmRuntime({ cacheDir: null, maxRequests: Infinity }));
      return { steps: withoutTiming(steps(out)), rollouts: withoutTiming(rollouts(out)) };
    };
    const a = await runNoCache('rollout');
    const b = await runNoCache('rollout');
    expect(b).toEqual(a);
    // Seeds differ per rollout: the group really diverges.
    expect(new Set(a.steps.map((l) => JSON.parse(l).action)).size).toBeGreaterThan(6);
    const c = await runNoCache('none');
    const d = await runNoCache('none');
    expect(c.steps).not.toEqual(d.steps);
    expect(server.requests.filter((r) => r.body.seed !== undefined)).toHaveLength(48);
  });

  it('replays a run from its cache with zero requests and no key, and never writes the key', async () => {
    const out = join(tempDir(), 'run');
    await go(spec({ horizons: [3], rollouts: 3, agent: { seed: 'none' } }), out);
    const paid = server.requests.length;
    const again = join(tempDir(), 'again');
    delete process.env[KEY_ENV];
    try {
      const replay = createLlmRuntime({ cacheDir: join(again, 'cache'), replayFrom: join(out, 'cache'), maxRequests: Infinity });
      await go(spec({ horizons: [3], rollouts: 3, agent: { seed: 'none' } }), again, replay);
      expect(replay.misses).toEqual([]);
    } finally {
      process.env[KEY_ENV] = KEY;
    }
    expect(server.requests).toHaveLength(paid);
    const drop = (lines: any[]) => withoutTiming(lines);
    expect(drop(steps(again))).toEqual(drop(steps(out)));
    for (const f of [...allFiles(out), ...allFiles(again)]) expect(readFileSync(f, 'utf8')).not.toContain(KEY);
  });

  it('logs the chosen action probability and the entropy over the candidate actions (maze, top-3)', async () => {
    // The model says N with p = 0.6; the alternatives at the value's first token are N 0.6, E 0.3, W 0.1.
    const alts = [
      { token: 'N', logprob: Math.log(0.6) },
      { token: 'E', logprob: Math.log(0.3) },
      { token: 'W', logprob: Math.log(0.1) },
    ];
    server.handler = (r) => {
      expect(r.body.logprobs).toBe(true);
      expect(r.body.top_logprobs).toBe(3);
      return completion(r.body.model, [{ args: '{"action": "N"}', tokens: argTokens('"N"', alts) }]);
    };
    const out = join(tempDir(), 'run');
    await go(spec({ environment: 'maze', params: {}, horizons: [2], rollouts: 1, agent: { logprobs: 3 } }), out);
    const lines = steps(out);
    expect(lines.length).toBeGreaterThan(0);
    const expectedH = -(0.6 * Math.log2(0.6) + 0.3 * Math.log2(0.3) + 0.1 * Math.log2(0.1));
    const legalN = lines.filter((l) => !l.invalid);
    for (const l of legalN) {
      expect(l.info.actionProb).toBeCloseTo(0.6, 12);
      expect(l.info.modelEntropy).toBeCloseTo(expectedH, 12);
    }
  });
});

describe('openai ensembles', () => {
  it('asks for n choices in one request and takes the majority', async () => {
    server.handler = (r) => {
      const right = chatKvAnswer(r.body);
      return completion(r.body.model, [{ args: JSON.stringify({ action: right + 1 }) }, { args: JSON.stringify({ action: right }) }, { args: JSON.stringify({ action: right }) }]);
    };
    const out = join(tempDir(), 'run');
    await go(spec({ kind: 'ensemble', horizons: [2], rollouts: 1 }), out);
    expect(server.requests.map((r) => r.body.n)).toEqual([3, 3]);
    for (const l of steps(out)) {
      expect(l.action).toBe(l.oracle);
      expect(l.info.votes).toEqual({ chosen: 2, valid: 3, samples: 3 });
    }
  });

  it('falls back to one request per sample when the server refuses n (400), and says so once', async () => {
    server.handler = (r) => (r.body.n !== undefined && r.body.n > 1 ? { status: 400, json: { error: { message: "'n' > 1 is not supported", type: 'invalid_request_error' } } } : seededModel(r));
    const notices: string[] = [];
    const out = join(tempDir(), 'run');
    const rt = createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity, onNotice: (l) => notices.push(l) });
    const { summary } = await go(spec({ kind: 'ensemble', horizons: [2], rollouts: 2 }), out, rt);
    expect(summary.terminations.error).toBe(0);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/refuses n > 1 \(HTTP 400\); asking for each of the 3 samples in its own request$/);
    // One refused request, then three per step: 1 + 2 rollouts × 2 steps × 3.
    expect(server.requests).toHaveLength(13);
    expect(new Set(server.requests.slice(1).map((r) => r.body.seed)).size).toBe(12);
  });

  it('falls back when the server ignores n (one choice back), and a replay takes the same path with zero requests', async () => {
    server.handler = seededModel;
    const notices: string[] = [];
    const out = join(tempDir(), 'run');
    const rt = createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity, onNotice: (l) => notices.push(l) });
    await go(spec({ kind: 'ensemble', horizons: [2], rollouts: 1 }), out, rt);
    expect(notices).toEqual([expect.stringMatching(/ignores n \(one choice back\)/)]);
    // The first request asks n=3 and gets one choice; then samples 2 and 3 alone; later steps ask alone.
    expect(server.requests.map((r) => r.body.n ?? 1)).toEqual([3, 1, 1, 1, 1, 1]);
    const paid = server.requests.length;
    const again = join(tempDir(), 'again');
    const replay = createLlmRuntime({ cacheDir: join(again, 'cache'), replayFrom: join(out, 'cache'), maxRequests: Infinity, onNotice: () => undefined });
    await go(spec({ kind: 'ensemble', horizons: [2], rollouts: 1 }), again, replay);
    expect(replay.misses).toEqual([]);
    expect(server.requests).toHaveLength(paid);
    expect(withoutTiming(steps(again))).toEqual(withoutTiming(steps(out)));
  });
});

describe('scenarios/qwen3-ladder.yaml', () => {
  it('is a valid family ladder of local openai agents that needs no API key', async () => {
    const { loadScenario } = await import('../../src/engine/index.js');
    const { REGISTRY } = await import('../../src/cli/registry.js');
    const { preflightModelAgents } = await import('../../src/llm/index.js');
    const s = await loadScenario('scenarios/qwen3-ladder.yaml', REGISTRY);
    const specs = s.spec.agents as { kind: string; family?: string; scale?: number; params: { logprobs?: number } }[];
    expect(specs.map((a) => a.scale)).toEqual([0.6, 1.7, 4, 8, 14, 32]);
    expect(new Set(specs.map((a) => `${a.kind}/${a.family}/${a.params.logprobs}`))).toEqual(new Set(['openai/qwen3/5']));
    expect(() => preflightModelAgents(s.agents, {})).not.toThrow();
  });
});
