/**
 * Regression: cost.json lost the spend of an invocation killed with kill -9
 * (it was written only when a run finished). Paid calls now go to the
 * RUN/cost.jsonl ledger as they are paid, and cost.json is rebuilt from it.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/commands/run.js';
import { readJsonl, rollouts, scenarioSpec, spawnCliDetached, tempDir, waitFor, useMessagesServer } from './helpers.js';
import { kvSumAnswer, message, type Handler, type MessagesServer } from './server.js';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });
/** One call with the server's default usage on Haiku 4.5 (see cost.test.ts): $0.002325; sums are rounded to 1e-10. */
const CALL_USD = 0.002325;
const THREE_CALLS = 0.006975;
const SIX_CALLS = 0.01395;

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

describe('cost after kill -9', () => {
  it('cost.json keeps the spend of an invocation killed with kill -9, and resume reports the true cumulative total', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    // 3 rollouts × 2 steps, one at a time: calls 1–2 are rollout 0, call 3 is rollout 1's first step.
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 3, concurrency: 1 })));
    const out = join(dir, 'run');
    // Call 4 never gets an answer: the process is killed while it waits.
    server.handler = (r) => (r.n >= 4 ? { ...right(r), delayMs: 600_000 } : right(r));
    const child = spawnCliDetached(['run', file, '--out', out]);
    const exited = new Promise((r) => child.once('exit', r));
    try {
      // Concurrency 1: call 4 is sent only after call 3's reply was taken in.
      await waitFor(() => server.requests.length >= 4, 'the fourth request');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await exited;
    expect(rollouts(out)).toHaveLength(1);
    // The ledger holds the three paid calls of the killed invocation.
    const ledger = readJsonl(join(out, 'cost.jsonl'));
    expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(3);
    // Call 4 was sent and never answered: its bill is unknown.
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(4);

    server.handler = right;
    server.requests.length = 0;
    const resumed = await runCommand(file, { out, resume: true, json: true });
    expect(resumed.status).toBe('finished');
    // Rollout 1's first step comes from the cache; its second step and rollout 2 are paid.
    expect(resumed.llm).toMatchObject({ paidCalls: 3, cacheHits: 1, spentUsd: THREE_CALLS });
    expect(server.requests).toHaveLength(3);
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total).toMatchObject({ calls: 6, costUsd: SIX_CALLS, inputTokens: 6000, outputTokens: 600 });
    expect(cost.invocations).toEqual([
      expect.objectContaining({ invocation: 1, calls: 3, costUsd: THREE_CALLS, complete: false }),
      expect.objectContaining({ invocation: 2, calls: 3, costUsd: THREE_CALLS, cacheHits: 1, complete: true }),
    ]);
  });

  it('cost.json is rebuilt from the ledger, so a stale or missing cost.json never loses spend', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [1], rollouts: 2 })));
    const out = join(dir, 'run');
    await runCommand(file, { out, json: true });
    const costFile = join(out, 'cost.json');
    expect(JSON.parse(readFileSync(costFile, 'utf8')).total).toMatchObject({ calls: 2, costUsd: 2 * CALL_USD });
    // A summary written by hand (or torn) is not the source of truth: the next invocation rewrites it.
    writeFileSync(costFile, '{"total": {"calls": 99}');
    await runCommand(file, { out, resume: true, json: true });
    expect(existsSync(costFile)).toBe(true);
    expect(JSON.parse(readFileSync(costFile, 'utf8')).total).toMatchObject({ calls: 2, costUsd: 2 * CALL_USD, cacheHits: 0 });
  });
});
