/**
 * A kept-alive connection reset as a request reaches it: the server (its
 * own process) is stopped for real (SIGSTOP) right after a reply, the next
 * request reaches the idle connection and waits unread, and when the server
 * runs again its idle timer fires first and resets the connection with the
 * request unread. On a loaded machine this is what a resumed queue run met
 * (its workers' connections idle while the coordinator restarts): with
 * `maxRetries: 0` the rollout ended in `error`. The request is sent once
 * more on a new connection, and the ledger says what happened: the reset
 * attempt `lost` (at its bound), then the one the server read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHECKOUT_ROOT } from '../../src/cli/version.js';
import { runCli, scenarioSpec, tempDir, waitFor } from './helpers.js';
import { errorRollouts, normalisedLines, readJsonlFile } from '../helpers/run-dir.js';

describe('a request on a kept-alive connection the stalled server resets unread', () => {
  let proc: ChildProcess;
  let out = '';
  let url = '';
  const read = () => [...out.matchAll(/^request (\d+)$/gm)].map((m) => Number(m[1]));

  beforeAll(async () => {
    // The first run's three requests, then the second run's first: after it the server stops for 4 s (its idle close is at about 3 s).
    proc = spawn(process.execPath, ['--import', 'tsx', 'test/llm/stalling-server.ts'], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STALL_AFTER: '4', STALL_MS: '4000', KEEP_ALIVE_MS: '2000' } });
    proc.stdout!.on('data', (d) => (out += d.toString()));
    await waitFor(() => /^url /m.test(out), 'the stalling server', 60_000);
    url = /^url (\S+)$/m.exec(out)![1];
  });

  afterAll(() => {
    proc?.kill('SIGKILL');
  });

  it('is sent again on a new connection: the rollout is the unstalled one, the reset attempt is on the ledger as lost, the server read each prompt once', async () => {
    const dir = tempDir();
    const file = join(dir, 'stale.yaml');
    // maxRetries 0: no transient fault is retried, so only the resend of a request the server never read keeps the rollout.
    writeFileSync(file, stringify(scenarioSpec(url, { horizons: [3], rollouts: 1, concurrency: 1 })));
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    expect(read()).toEqual([1, 2, 3]);

    const r = await runCli(['run', file, '--out', join(dir, 'stalled')]);
    expect(errorRollouts(join(dir, 'stalled'))).toEqual([]);
    expect(r.status).toBe(0);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(dir, 'stalled', f))).toEqual(normalisedLines(join(dir, 'one', f)));
    // The reset happened (else this test proved nothing): one attempt lost, its request never read by the server.
    const ledger = readJsonlFile<{ kind: string; reason?: string }>(join(dir, 'stalled', 'cost.jsonl'));
    const lost = ledger.filter((l) => l.kind === 'lost');
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toMatch(/(ECONNRESET|EPIPE).* on a kept-alive connection the server closed before any byte of the reply/);
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(4);
    expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(3);
    expect(read()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
