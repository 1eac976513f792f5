/**
 * The response cache and `run --replay`: one namespace per rollout (never
 * shared within a group), hits on resume, and a replay with zero requests.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { runCommand } from '../../src/cli/commands/run.js';
import { cacheKey, cacheKeyOf, isModelAgent } from '../../src/llm/index.js';
import { canonicalJson } from '../../src/core/index.js';
import { allFiles, readJsonl, rollouts, run, scenarioSpec, SENTINEL_KEY, steps, tempDir, withoutTiming, useMessagesServer } from './helpers.js';
import { apiError, kvSumAnswer, message, type Handler, type MessagesServer } from './server.js';
import anthropic from '../../agents/anthropic.js';

/** Right answers, except every 4th request is off by one: rollouts then differ. */
const noisy: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) + (r.n % 4 === 0 ? 1 : 0) } });

let server: MessagesServer;
useMessagesServer(noisy, (s) => (server = s));

describe('response cache', () => {
  it('gives every rollout of a group its own entries, even for identical requests', async () => {
    server.handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 3 }), out);
    // Step 1 of a group's rollouts is the same request (same instance, same prompt)...
    const firsts = server.requests.filter((r) => r.body.messages.length === 1).map((r) => JSON.stringify(r.body));
    expect(firsts).toHaveLength(3);
    expect(new Set(firsts).size).toBe(1);
    // ...yet each was sent (no sharing), and each rollout has its own cache file.
    expect(server.requests).toHaveLength(6);
    const files = readdirSync(join(out, 'cache'));
    expect(files).toHaveLength(3);
    const keys = files.flatMap((f) => readJsonl(join(out, 'cache', f)).map((e) => e.key));
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    const seeds = rollouts(out).map((r) => r.seeds.agent).sort();
    expect(files.map((f) => f.replace('.jsonl', '')).sort()).toEqual(seeds);
  });

  it('keys on model, request, seed, index, step and attempt', () => {
    const base = { model: 'm', request: { a: 1 }, agentSeed: 's', index: 0, t: 1, attempt: 0 };
    const k = cacheKey(base);
    expect(cacheKey({ ...base, request: { a: 1 } })).toBe(k);
    for (const change of [{ model: 'n' }, { request: { a: 2 } }, { agentSeed: 't' }, { index: 1 }, { t: 2 }, { attempt: 1 }]) expect(cacheKey({ ...base, ...change })).not.toBe(k);
  });

  it('keys a request serialised once exactly as before (values pinned from the code before cacheKeyOf)', () => {
    const request = {
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'Σ ünïcode 😀 and \u2028 and "quotes" \\ slash', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Step 1.' }] }],
      tools: [{ name: 'act', description: 'd', input_schema: { type: 'object', properties: { action: { type: 'integer' } }, required: ['action'], additionalProperties: false } }],
      temperature: 0.7,
    };
    const parts = { model: 'claude-haiku-4-5', agentSeed: 'a1b2-c3', index: 3, t: 7, attempt: 1 };
    const pinned = '3a3406a5e77f7d5b6ece7c8274b8f085d9d4d9d4cd079f347558419f9c78aa3f';
    expect(cacheKey({ ...parts, request })).toBe(pinned);
    expect(cacheKeyOf({ ...parts, requestJson: canonicalJson(request) })).toBe(pinned);
    expect(cacheKeyOf({ ...parts, requestJson: Buffer.from(canonicalJson(request)) })).toBe(pinned);
    // openai's n-sample form, {request, sample}, keyed from the request's JSON.
    expect(cacheKeyOf({ model: 'm', requestJson: `{"request":${canonicalJson(request)},"sample":2}`, agentSeed: 's', index: 0, t: 1, attempt: 0 })).toBe('883421ec5073e11964a53fdaf26e98da0d93db0f46a0651e2f42f75ac9076029');
    // The bound on a request's bill reads the canonical JSON's bytes: the same count as the body the SDK sends.
    expect(Buffer.byteLength(canonicalJson(request))).toBe(Buffer.byteLength(JSON.stringify(request)));
  });

  it('re-reads cached replies when an errored rollout is re-run on resume', async () => {
    server.handler = (r) => (r.n === 5 ? { status: 500, json: apiError('api_error', 'boom') } : message(r.n, { input: { action: kvSumAnswer(r.body) } }));
    const out = join(tempDir(), 'run');
    const spec = scenarioSpec(server.url, { horizons: [3], rollouts: 2 });
    const first = await run(spec, out);
    expect(first.summary.terminations).toEqual({ terminated: 1, truncated: 0, error: 1 });
    const failed = rollouts(out).find((r) => r.termination === 'error');
    expect(failed.error).toBe('agent at t=2: anthropic: HTTP 500 api_error: boom (request req_000005) after 0 retries');
    // The failed rollout's spend is still on its record.
    expect(failed.info).toMatchObject({ calls: 1, costUsd: 0.002325 });
    expect(server.requests).toHaveLength(5);

    const second = await run(spec, out, { resume: true });
    expect(second.summary.recovered?.retired).toBe(1);
    expect(second.summary.ran).toBe(1);
    // Step 1 came from the cache; steps 2 and 3 were asked again.
    expect(server.requests).toHaveLength(7);
    expect(second.runtime.meter.cacheHits).toBe(1);
    expect(second.runtime.meter.paid.calls).toBe(2);
    const redone = steps(out).filter((s) => s.rollout === failed.rollout);
    expect(redone.map((s) => s.timing.cacheHits)).toEqual([1, 0, 0]);
    expect(existsSync(join(out, 'retired.jsonl'))).toBe(true);
  });
});

describe('run --replay', () => {
  it('re-runs a logged run from its cache with zero requests and identical logs', async () => {
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2, 4], rollouts: 3, concurrency: 3, agent: { history: 2 } }), out);
    const recorded = server.requests.length;
    expect(recorded).toBe(18);
    const offByOne = steps(out).filter((s) => s.reward === 0);
    expect(offByOne.length).toBeGreaterThan(0);

    const replay = join(tempDir(), 'replay');
    const result = await runCommand(undefined, { replay: out, out: replay, json: true });
    expect(server.requests.length).toBe(recorded);
    expect(result.llm).toMatchObject({ paidCalls: 0, cacheHits: 18, replayedFrom: out });
    expect(withoutTiming(steps(replay))).toEqual(withoutTiming(steps(out)));
    expect(withoutTiming(rollouts(replay))).toEqual(withoutTiming(rollouts(out)));
    // The replay holds the replies it used, so it can be replayed in turn.
    expect(readdirSync(join(replay, 'cache')).sort()).toEqual(readdirSync(join(out, 'cache')).sort());
    for (const f of allFiles(replay)) expect(f).not.toContain(SENTINEL_KEY);
  });

  it('fails on a cache miss without making a call', async () => {
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 2 }), out);
    const recorded = server.requests.length;
    const victim = readdirSync(join(out, 'cache'))[0];
    unlinkSync(join(out, 'cache', victim));
    const replay = join(tempDir(), 'replay');
    await expect(runCommand(undefined, { replay: out, out: replay, json: true })).rejects.toThrow(/^replay of .* failed: 1 request\(s\) not in its cache \(first: rollout claude:2:0:\d step 1 attempt 1\); no API calls were made$/);
    expect(server.requests.length).toBe(recorded);
  });

  it('refuses a scripted run and a second scenario', async () => {
    await expect(runCommand('x.yaml', { replay: 'somewhere', out: 'x' })).rejects.toThrow(/drop the scenario argument/);
    await expect(runCommand(undefined, { replay: 'somewhere' })).rejects.toThrow(/--replay needs --out DIR/);
    expect(isModelAgent(anthropic)).toBe(true);
  });
});
