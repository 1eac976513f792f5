/**
 * Regressions of issue 10 on the model-agent side: each test failed before
 * its fix. A 200 that is not a message must not poison the cache (5); a torn
 * cache tail is cut before the next append (6); a truncated body is retried
 * and named (7); a corrupt cache line stops the run with what to do, not a
 * resume hint that loops (8); the agent's invalid verdict is the logged one
 * (9); every request is on the ledger when sent and spend is a bracket (10);
 * the ledger line is written before the cache line (3).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/commands/run.js';
import { EXIT_CODES } from '../../src/core/index.js';
import { createLlmRuntime, readLedger, summarizeLedger } from '../../src/llm/index.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { readJsonl, rollouts, run, runCli, scenarioSpec, steps, tempDir, useMessagesServer } from './helpers.js';
import { kvSumAnswer, message, type Handler, type MessagesServer } from './server.js';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

const fast = { maxRetries: 8, retryDelayMs: 5 };
const cacheFiles = (out: string) => readdirSync(join(out, 'cache')).map((f) => join(out, 'cache', f));

describe('replies that are not messages (items 5 and 7)', () => {
  it('a 200 that is not a message is retried within the step and never cached', async () => {
    server.handler = (r) => (r.n === 1 ? { status: 200, json: { type: 'message', content: 'oops' } } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: fast }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(3);
    expect(steps(out)[0].info.requestId).toBe('req_000002');
    for (const f of cacheFiles(out)) expect(readFileSync(f, 'utf8')).not.toContain('oops');
    // A replay needs no call: the cache holds only the usable replies.
    server.requests.length = 0;
    const again = join(tempDir(), 'again');
    await runCommand(undefined, { replay: out, out: again, json: true });
    expect(server.requests).toHaveLength(0);
  });

  it('a truncated body on 200 is retried; with no retry left the message says "malformed response body" and names the request', async () => {
    server.handler = (r) => (r.n === 1 ? { ...right(r), truncateAt: 300 } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: fast }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.handler = (r) => ({ ...right(r), truncateAt: 300 });
    const out2 = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: { maxRetries: 2, retryDelayMs: 5 } }), out2);
    expect(server.requests).toHaveLength(3);
    expect(rollouts(out2)[0].error).toMatch(/^agent at t=1: anthropic: malformed response body \(request req_000003\): .*JSON.* after 2 retries$/);
  });

  it('a connection closed mid-body is retried', async () => {
    server.handler = (r) => (r.n === 1 ? { ...right(r), dropAt: 100 } : right(r));
    const out = join(tempDir(), 'run');
    const { summary } = await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: fast }), out);
    expect(summary.terminations.error).toBe(0);
    expect(server.requests).toHaveLength(2);
  });
});

describe('the response cache file (items 6 and 8)', () => {
  it('cuts a torn tail before the next append, so the next reply is not glued onto it', async () => {
    const out = join(tempDir(), 'run');
    const spec = scenarioSpec(server.url, { horizons: [2], rollouts: 1 });
    await run(spec, out);
    const [file] = cacheFiles(out);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // Keep step 1's reply and half of step 2's: what a kill -9 mid-append leaves. Drop the run's logs so it re-runs.
    writeFileSync(file, lines[0] + '\n' + lines[1].slice(0, 40));
    writeFileSync(join(out, 'rollouts.jsonl'), '');
    writeFileSync(join(out, 'steps.jsonl'), '');
    server.requests.length = 0;
    await run(spec, out, { resume: true });
    expect(server.requests).toHaveLength(1);
    const after = readFileSync(file, 'utf8');
    expect(after.endsWith('\n')).toBe(true);
    for (const l of after.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
    // And it stays readable: a replay of the run makes no call.
    server.requests.length = 0;
    await runCommand(undefined, { replay: out, out: join(tempDir(), 'again'), json: true });
    expect(server.requests).toHaveLength(0);
  });

  it('a corrupt cache line stops the run with exit 4, naming the file, the line and what to do', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 1 })));
    const out = join(dir, 'run');
    await runCommand(file, { out, json: true });
    const [cache] = cacheFiles(out);
    const text = readFileSync(cache, 'utf8').split('\n');
    writeFileSync(cache, ['{"key": broken', ...text].join('\n'));
    writeFileSync(join(out, 'rollouts.jsonl'), '');
    writeFileSync(join(out, 'steps.jsonl'), '');
    const r = await runCli(['run', file, '--out', out, '--resume']);
    expect(r.status).toBe(EXIT_CODES.log);
    const line = r.stderr.trim().split('\n').filter((l) => l.startsWith('hotmess: '));
    expect(line).toHaveLength(1);
    expect(line[0]).toContain(`${cache}:1: corrupt cache line (not JSON); this rollout's cached replies cannot be read: delete ${cache} to buy them again with --resume`);
    // Doing what it says works.
    writeFileSync(cache, '');
    const again = await runCli(['run', file, '--out', out, '--resume']);
    expect(again.status, again.stderr).toBe(0);
  });
});

describe('invalid replies (item 9)', () => {
  it('a legal action with an extra field on the last attempt is logged invalid with the agent\'s reason, not applied', async () => {
    server.handler = (r) => (r.n === 1 ? message(r.n, { input: { action: kvSumAnswer(r.body), why: 'sum' } }) : right(r));
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { retries: 0 } }), out);
    const [s1] = steps(out);
    expect(s1.invalid).toBe('unexpected field(s) "why"; give only "action"');
    expect(s1.reward).toBe(0);
    expect(s1.patches).toEqual([]);
  });

  it('a missing action field is logged with action null and the agent\'s reason', async () => {
    server.handler = (r) => (r.n === 1 ? message(r.n, { input: {} }) : right(r));
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: { retries: 0 } }), out);
    const [s1] = steps(out);
    expect(s1.action).toBeNull();
    expect(s1.invalid).toBe('the tool input has no "action" field');
  });
});

describe('the ledger (items 3 and 10)', () => {
  it('records every request when sent and how it ended; lost replies make spend a bracket', async () => {
    // 1: refused (529, not billed); 2: lost mid-body (maybe billed); 3: paid; 4: paid.
    server.handler = (r) => (r.n === 1 ? { status: 529, headers: { 'retry-after-ms': '5' }, json: { type: 'error', error: { type: 'overloaded_error', message: 'x' } } } : r.n === 2 ? { ...right(r), dropAt: 50 } : right(r));
    const out = join(tempDir(), 'run');
    const dir = join(out, '..');
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 1, agent: fast })));
    const result = await runCommand(file, { out, json: true });
    expect(server.requests).toHaveLength(4);
    const ledger = readLedger(join(out, 'cost.jsonl'));
    expect(ledger.map((l) => l.kind)).toEqual(['sent', 'refused', 'sent', 'lost', 'sent', 'reply', 'sent', 'reply', 'end']);
    const sent = ledger.find((l) => l.kind === 'sent')!;
    // The bound, by hand: every prompt byte at the 1h cache-write rate ($2/M on Haiku 4.5) + 1024 output tokens at $5/M.
    const bytes = Buffer.byteLength(JSON.stringify(server.requests[0].body)) + 350;
    expect(sent.kind === 'sent' && sent.maxUsd).toBeCloseTo((bytes * 2 + 1024 * 5) / 1e6, 9);
    // ...which is the size of the body that went out: the request's canonical JSON (keys sorted), serialised once.
    expect(Number(server.requests[0].headers['content-length']) + 350).toBe(bytes);
    expect(Object.keys(server.requests[0].body)).toEqual(Object.keys(server.requests[0].body).sort());
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total).toMatchObject({ calls: 2, requests: 4, refused: 1, unknownReplies: 1, costUsd: 2 * 0.002325 });
    expect(cost.total.costUsdAtMost).toBeCloseTo(2 * 0.002325 + (sent.kind === 'sent' ? sent.maxUsd! : 0), 9);
    expect(result.llm).toMatchObject({ paidCalls: 2, lostReplies: 1 });
  });

  it('--max-cost counts a lost reply at its most: the run stops before the bracket can pass the budget', async () => {
    // Rollout 1: request 2 is lost mid-body (maybe billed, at most ≈ $0.008), then two paid calls ($0.00465 known).
    // Counting known spend only, $0.01 would let all three rollouts run ($0.01395); counting the bound, it stops after one.
    server.handler = (r) => (r.n === 2 ? { ...right(r), dropAt: 50 } : right(r));
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 3, agent: fast })));
    const out = join(dir, 'run');
    const result = await runCommand(file, { out, maxCost: '0.01', json: true });
    expect(result.status).toBe('interrupted');
    expect(result.ran).toBe(1);
    expect(result.stoppedBecause).toBe('cost budget of $0.01 reached (counting 1 lost reply at the most each can have cost)');
    expect(result.llm).toMatchObject({ paidCalls: 2, lostReplies: 1, spentUsd: 2 * 0.002325 });
    expect((result.llm as { spentAtMostUsd: number }).spentAtMostUsd).toBeGreaterThanOrEqual(0.01);
  });

  it('a kill -9 mid-request leaves a sent line: the bracket counts it as unknown', () => {
    const lines = [
      { kind: 'sent', invocation: 1, id: 1, model: 'm', maxUsd: 0.5 },
      { kind: 'reply', invocation: 1, id: 1, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.1 },
      { kind: 'sent', invocation: 1, id: 2, model: 'm', maxUsd: 0.5 },
    ] as const;
    const s = summarizeLedger(lines as never) as { total: Record<string, unknown>; invocations: Record<string, unknown>[] };
    expect(s.total).toMatchObject({ calls: 1, requests: 2, unknownReplies: 1, costUsd: 0.1, costUsdAtMost: 0.6 });
    expect(s.invocations[0]).toMatchObject({ complete: false });
  });

  it('writes the ledger line before the cache line: a cache that cannot be written loses no paid reply', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    // The cache directory's place is taken by a file: every cache append fails.
    const blocked = join(dir, 'cache');
    writeFileSync(blocked, 'not a directory');
    const runtime = createLlmRuntime({ cacheDir: blocked, runDir: out, maxRequests: Infinity });
    const { summary } = await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1 }), out, { runtime });
    expect(summary.terminations.error).toBe(1);
    expect(rollouts(out)[0].error).toMatch(/cache: could not open for appending: /);
    expect(server.requests).toHaveLength(1);
    expect(readJsonl(join(out, 'cost.jsonl')).map((l) => l.kind)).toEqual(['sent', 'reply']);
  });

  it('a full disk under the cache stops the run as a log fault (exit 4), with every paid reply on the ledger; resume finishes once there is space', async () => {
    const disk = mountTmpfs('1m');
    try {
      // Leave a few pages free: a handful of replies fit, then the device is full.
      writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(1024 * 1024 - 12 * 1024));
      const out = join(tempDir(), 'run');
      const cacheDir = join(disk.dir, 'cache');
      const spec = scenarioSpec(server.url, { horizons: [4], rollouts: 4, concurrency: 2 });
      const runtime = createLlmRuntime({ cacheDir, runDir: out, maxRequests: Infinity });
      const { summary } = await run(spec, out, { runtime, shouldStop: () => runtime.halted?.reason ?? null });
      expect(runtime.halted).toMatchObject({ code: 'log', reason: expect.stringMatching(/cache.*: could not write: no space left on device \(ENOSPC\)$/) });
      // The CLI turns a halt into one line with exit 4 and the resume hint (run.ts); the rollouts it stopped are errors to re-run.
      expect(summary.terminations.error).toBeGreaterThan(0);
      // Every reply the server sent is on the ledger, though the cache could not keep them all.
      const ledger = readLedger(join(out, 'cost.jsonl'));
      expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(server.requests.length);

      disk.remount('size=16m');
      const resumed = createLlmRuntime({ cacheDir, runDir: out, maxRequests: Infinity });
      const again = await run(spec, out, { resume: true, runtime: resumed, shouldStop: () => resumed.halted?.reason ?? null });
      expect(again.summary.status).toBe('finished');
      expect(rollouts(out).filter((r) => r.termination !== 'error')).toHaveLength(4);
      // The torn tail the full disk left was cut: every cache line reads.
      for (const f of readdirSync(cacheDir)) for (const l of readFileSync(join(cacheDir, f), 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
    } finally {
      disk.unmount();
    }
  });
});

