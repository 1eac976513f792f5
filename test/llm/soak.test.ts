/**
 * The 30% fault soak (issue 10): 429, 529, 500, 503, connections closed
 * mid-body, truncated bodies, delays and schema-violating tool input, each
 * chosen per request from a seeded stream. On kv-sum and on maze at
 * concurrency 8 a single invocation finishes with no errored rollout, no
 * duplicate, every rollout's steps 1..length, a ledger that matches what the
 * server did request for request, and a replay that is identical with zero
 * requests. Then the same with kill -9 at five random moments (a real child
 * process) and `--resume` after each. Delays and backoff are short so the
 * soak stays quick; the bench runs the full 2–5 s delays.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/cli/commands/run.js';
import { createRng, EXIT_CODES } from '../../src/core/index.js';
import { faultyHandler } from './fault-server.js';
import { KEY_ENV, rollouts, runCli, steps, tempDir, useMessagesServer, waitFor, withoutTiming } from './helpers.js';
import { ledgerCounts, runDirProblems, soakAnswer, writeSoakScenario, type SoakEnv } from './soak.js';
import { type MessagesServer } from './server.js';

let server: MessagesServer;
useMessagesServer(soakAnswer['kv-sum'], (s) => (server = s));

/** What one reply of the test server costs on Haiku 4.5 (see cost.test.ts). */
const CALL_USD = 0.002325;
const ROLLOUTS = 16;
const HORIZON = 5;

const soak = (env: SoakEnv, dir: string, seed: number) =>
  writeSoakScenario(dir, { env, baseURL: server.url, keyEnv: KEY_ENV, horizon: HORIZON, rollouts: ROLLOUTS, concurrency: 8, seed, retryDelayMs: 10 });

describe('a 30% fault soak', () => {
  for (const env of ['kv-sum', 'maze'] as const) {
    it(`${env} at concurrency 8 finishes in one invocation with nothing lost, nothing twice, and a ledger that matches the server`, async () => {
      const { handler, counts } = faultyHandler(soakAnswer[env], { seed: `soak-${env}-1`, rate: 0.3, delayMs: [20, 60], retryAfterMs: 10 });
      server.handler = handler;
      const dir = tempDir();
      const file = soak(env, dir, 7);
      const out = join(dir, 'run');
      const result = await runCommand(file, { out, json: true });
      expect(result.status).toBe('finished');
      expect(result.terminations.error).toBe(0);
      expect(runDirProblems(out, ROLLOUTS)).toEqual([]);
      // Every kind happened (the seed is chosen so that each does within the first 60 requests).
      expect(counts.requests - counts.byKind.none).toBeGreaterThan(0.2 * counts.requests);
      for (const kind of ['429', '529', '500', '503', 'drop', 'truncate', 'delay', 'bad-tool-input'] as const) expect(counts.byKind[kind], kind).toBeGreaterThan(0);

      // The ledger, request for request: sent = what arrived; refused = error statuses; a reply per readable 200; lost = dropped or truncated.
      const ledger = ledgerCounts(out);
      expect(ledger).toEqual({ sent: counts.requests, refused: counts.refused, reply: counts.delivered, lost: counts.paid - counts.delivered, unknown: counts.paid - counts.delivered });
      const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
      expect(cost.total.calls).toBe(counts.delivered);
      expect(cost.total.costUsd).toBeCloseTo(counts.delivered * CALL_USD, 9);
      // What the server billed lies in the bracket.
      expect(cost.total.costUsd).toBeLessThanOrEqual(counts.paid * CALL_USD + 1e-9);
      expect(cost.total.costUsdAtMost).toBeGreaterThanOrEqual(counts.paid * CALL_USD - 1e-9);

      // A replay reproduces the logs with zero requests.
      const before = server.requests.length;
      const again = join(dir, 'again');
      const replay = await runCommand(undefined, { replay: out, out: again, json: true });
      expect(replay.status).toBe('finished');
      expect(server.requests.length).toBe(before);
      expect(withoutTiming(steps(again))).toEqual(withoutTiming(steps(out)));
      expect(withoutTiming(rollouts(again))).toEqual(withoutTiming(rollouts(out)));
    }, 120_000);
  }

  it('kv-sum with kill -9 at five random moments and --resume after each ends whole, with spend inside the bracket', async () => {
    const { handler, counts } = faultyHandler(soakAnswer['kv-sum'], { seed: 'soak-kill', rate: 0.3, delayMs: [20, 60], retryAfterMs: 10 });
    server.handler = handler;
    const dir = tempDir();
    const file = soak('kv-sum', dir, 8);
    const out = join(dir, 'run');
    // Five moments, as request counts into each invocation, drawn from a seeded stream.
    const rng = createRng('soak-kill-moments');
    for (let kill = 0; kill < 5; kill++) {
      const at = counts.requests + 3 + rng.int(12);
      // One process (node --import tsx, no tsx wrapper): once it has exited, nothing of it holds the run's lock.
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', file, '--out', out, ...(kill > 0 ? ['--resume'] : [])], { stdio: 'ignore', detached: true, env: { ...process.env, CI: '1' } });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      let code: number | null | undefined;
      void exited.then((c) => (code = c));
      try {
        await waitFor(() => counts.requests >= at || code !== undefined, `request ${at}`);
      } finally {
        if (code === undefined) process.kill(-child.pid!, 'SIGKILL');
      }
      await exited;
    }
    const last = await runCli(['run', file, '--out', out, '--resume', '--json']);
    expect(last.status, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout).status).toBe('finished');
    expect(runDirProblems(out, ROLLOUTS)).toEqual([]);

    // Every request that reached the server was on the ledger first; a kill can leave requests with unknown bills.
    const ledger = ledgerCounts(out);
    expect(ledger.sent).toBeGreaterThanOrEqual(counts.requests);
    expect(ledger.reply).toBeLessThanOrEqual(counts.delivered);
    expect(ledger.reply + ledger.unknown).toBeGreaterThanOrEqual(counts.paid);
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total.costUsd).toBeLessThanOrEqual(counts.paid * CALL_USD + 1e-9);
    expect(cost.total.costUsdAtMost).toBeGreaterThanOrEqual(counts.paid * CALL_USD - 1e-9);
    expect(cost.invocations).toHaveLength(6);

    const before = server.requests.length;
    const again = join(dir, 'again');
    const replay = await runCli(['run', '--replay', out, '--out', again]);
    expect(replay.status, replay.stderr).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(withoutTiming(steps(again))).toEqual(withoutTiming(steps(out)));
  }, 180_000);

  it('a 401 mode stops the run at once with one line and exit 5', async () => {
    const { handler, counts } = faultyHandler(soakAnswer['kv-sum'], { seed: 1, rate: 0, unauthorized: true });
    server.handler = handler;
    const dir = tempDir();
    const out = join(dir, 'run');
    const r = await runCli(['run', soak('kv-sum', dir, 9), '--out', out]);
    expect(r.status).toBe(EXIT_CODES.agent);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('hotmess: '))).toEqual([expect.stringMatching(/^hotmess: authentication failed \(HTTP 401\) for agent "claude": check HOTMESS_TEST_ANTHROPIC_KEY; then continue with: .* --resume$/)]);
    // No retries of a refused key: at most one request per rollout that was in flight.
    expect(counts.requests).toBeLessThanOrEqual(8);
  });
});
