/**
 * Faults: 529 and 429 with retry-after (the SDK retries, the shared limiter
 * backs off), timeouts, aborts, and rollouts that fail for good (termination
 * `error`, re-run on resume).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { createLlmRuntime, RequestLimiter, retryAfterMs, sharedLimiter } from '../../src/llm/index.js';
import { REGISTRY, rollouts, run, scenarioSpec, SENTINEL_KEY, steps, tempDir, useMessagesServer } from './helpers.js';
import { apiError, kvSumAnswer, message, startMessagesServer, type Handler, type MessagesServer } from './server.js';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

describe('overload and rate limits', () => {
  for (const [status, type] of [
    [529, 'overloaded_error'],
    [429, 'rate_limit_error'],
  ] as const) {
    it(`${status} with retry-after: the SDK waits as asked and the step succeeds`, async () => {
      const before = sharedLimiter('anthropic').stats.throttled;
      server.handler = (r) => (r.n === 1 ? { status, headers: { 'retry-after': '0.25' }, json: apiError(type, 'slow down') } : right(r));
      const out = join(tempDir(), 'run');
      const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { maxRetries: 2 } }), out);
      expect(summary.terminations.terminated).toBe(1);
      expect(server.requests).toHaveLength(3);
      expect(server.requests[1].body).toEqual(server.requests[0].body);
      expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(240);
      expect(sharedLimiter('anthropic').stats.throttled).toBe(before + 1);
      // The retried call is one step, billed once.
      expect(steps(out)[0].info.requestId).toBe('req_000002');
      expect(rollouts(out)[0].info.calls).toBe(2);
    });
  }

  it('a burst of 429s cuts the shared limit once', async () => {
    const limiter = sharedLimiter('anthropic');
    const cutsBefore = limiter.stats.cuts;
    // A retry-after of 3 s makes the cooldown 3 s: the four refusals land well inside it even on a loaded machine
    // (1.5 s was not always enough at load 10–16: a refusal after the cooldown is rightly a second cut).
    server.handler = (r) => (r.n <= 4 ? { status: 429, headers: { 'retry-after': '3' }, json: apiError('rate_limit_error', 'too many') } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 4, concurrency: 4, agent: { maxRetries: 3 } }), out);
    expect(summary.terminations.terminated).toBe(4);
    expect(limiter.stats.cuts).toBe(cutsBefore + 1);
  });

  it("one rollout's 429 pauses the requests of the others until retry-after", async () => {
    // Request 1 is refused at once; request 2 (the other rollout) is answered after 100 ms.
    // Without a shared pause, that rollout's next request would follow ~100 ms in.
    server.handler = (r) => (r.n === 1 ? { status: 429, headers: { 'retry-after': '0.5' }, json: apiError('rate_limit_error', 'too many') } : r.n === 2 ? { ...right(r), delayMs: 100 } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 2, concurrency: 2, agent: { maxRetries: 2 } }), out);
    expect(summary.terminations.terminated).toBe(2);
    expect(server.requests).toHaveLength(5);
    for (const r of server.requests.slice(2)) expect(r.at - server.requests[0].at).toBeGreaterThanOrEqual(490);
  });

  it('a rollout that still fails ends in error; the others finish and resume re-runs it', async () => {
    server.handler = (r) => (r.n === 2 ? { status: 529, json: apiError('overloaded_error', 'Overloaded') } : right(r));
    const out = join(tempDir(), 'run');
    const spec = scenarioSpec(server.url, { horizons: [2], rollouts: 2 });
    const { summary } = await run(spec, out);
    expect(summary.terminations).toEqual({ terminated: 1, truncated: 0, error: 1 });
    expect(rollouts(out).find((r) => r.termination === 'error').error).toBe('agent at t=2: anthropic: HTTP 529 overloaded_error: Overloaded (request req_000002) after 0 retries');
    const again = await run(spec, out, { resume: true });
    expect(again.summary.terminations).toEqual({ terminated: 1, truncated: 0, error: 0 });
    expect(rollouts(out).map((r) => r.termination)).toEqual(['terminated', 'terminated']);
  });
});

describe.each(['node', 'fetch'])('timeouts and aborts (httpClient %s)', (httpClient) => {
  it('a timed-out attempt is retried by the SDK', async () => {
    server.handler = (r) => (r.n === 1 ? { ...right(r), delayMs: 5000 } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { timeoutMs: 300, maxRetries: 1, httpClient } }), out);
    expect(summary.terminations.terminated).toBe(1);
    expect(server.requests).toHaveLength(3);
  });

  it('a timeout with no retries left fails the rollout, not the run', async () => {
    server.handler = (r) => (r.n === 1 ? { ...right(r), delayMs: 5000 } : right(r));
    const out = join(tempDir(), 'run');
    // 1 s, not less: every other request must finish well within the timeout even on a loaded machine.
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 2, agent: { timeoutMs: 1000, httpClient } }), out);
    expect(summary.terminations).toEqual({ terminated: 1, truncated: 0, error: 1 });
    expect(rollouts(out)[0].error).toBe('agent at t=1: anthropic: request timed out (timeout 1000 ms) after 0 retries');
  });

  it('a refused connection is a connection error, retried and then reported', async () => {
    const out = join(tempDir(), 'run');
    // A port nothing listens on: the server's, after it closed.
    const spare = await startMessagesServer(SENTINEL_KEY, right);
    const dead = spare.url;
    await spare.close();
    const { summary } = await run(scenarioSpec(dead, { horizons: [1], rollouts: 1, agent: { maxRetries: 1, httpClient } }), out);
    expect(summary.terminations.error).toBe(1);
    expect(rollouts(out)[0].error).toMatch(/^agent at t=1: anthropic: connection failed: .* after 1 retry$/);
  });

  it('an abort cancels the call in flight and commits nothing', async () => {
    server.handler = (r) => ({ ...right(r), delayMs: 60_000 });
    const out = join(tempDir(), 'run');
    const s = await resolveScenario(parseScenario(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { httpClient } })), REGISTRY, null);
    const controller = new AbortController();
    const started = Date.now();
    const pending = runScenario(s, { out, registry: REGISTRY, version: 'test', signal: controller.signal, services: createLlmRuntime({ cacheDir: join(out, 'cache') }).services() });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const summary = await pending;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(summary.status).toBe('interrupted');
    expect(rollouts(out)).toEqual([]);
  });
});

describe('the limiter', () => {
  it('halves on overload once per cooldown, pauses, and grows back additively', async () => {
    let now = 1000;
    const l = new RequestLimiter({ max: 8, now: () => now });
    for (let i = 0; i < 8; i++) await l.acquire();
    expect(l.inFlight).toBe(8);
    l.overloaded(2000);
    expect(l.limit).toBe(4);
    expect(l.pausedFor).toBe(2000);
    l.overloaded(2000); // same burst: no second cut
    expect(l.limit).toBe(4);
    expect(l.stats).toEqual({ throttled: 2, cuts: 1, peak: 8 });
    for (let i = 0; i < 8; i++) l.release();
    now += 2000;
    // 4 -> 4.25 -> 4.485... -> 5 after enough successes; never above the max.
    l.succeeded();
    expect(l.limit).toBe(4);
    for (let i = 0; i < 40; i++) l.succeeded();
    expect(l.limit).toBe(8);
    now += 5000;
    l.overloaded(null);
    expect(l.limit).toBe(1);
    expect(l.pausedFor).toBe(1000);
  });

  it('queues past the limit, in order, and lets an aborted waiter go', async () => {
    const l = new RequestLimiter({ max: 1 });
    await l.acquire();
    const order: number[] = [];
    const a = l.acquire().then(() => order.push(1));
    const c = new AbortController();
    const b = l.acquire(c.signal).then(
      () => order.push(2),
      () => order.push(-2),
    );
    const d = l.acquire().then(() => order.push(3));
    c.abort();
    await b;
    l.release();
    await a;
    l.release();
    await d;
    expect(order).toEqual([-2, 1, 3]);
  });

  it('reads retry-after-ms, seconds and HTTP dates', () => {
    const h = (o: Record<string, string>) => ({ get: (k: string) => o[k] ?? null });
    expect(retryAfterMs(h({ 'retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': new Date(61_000).toUTCString() }), () => 1_000)).toBe(60_000);
    expect(retryAfterMs(h({}))).toBeNull();
  });
});
