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
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHECKOUT_ROOT } from '../../src/cli/version.js';
import { runCli, scenarioSpec, tempDir, waitFor } from './helpers.js';
import { errorRollouts, normalisedLines, readJsonlFile } from '../helpers/run-dir.js';

const OPENAI_KEY_ENV = 'HOTMESS_TEST_OPENAI_KEY';
const procs: ChildProcess[] = [];

/** The stalling server: after request 4 (a first run's three, then a second run's first) it stops for 4 s; its idle close is at about 3 s. */
async function stallingServer(api: 'anthropic' | 'openai'): Promise<{ url: string; read: () => number[] }> {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/llm/stalling-server.ts'], {
    cwd: CHECKOUT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, API: api, [OPENAI_KEY_ENV]: 'sk-proj-test-stalling', STALL_AFTER: '4', STALL_MS: '4000', KEEP_ALIVE_MS: '2000' },
  });
  procs.push(proc);
  proc.stdout!.on('data', (d) => (out += d.toString()));
  await waitFor(() => /^url /m.test(out), 'the stalling server', 60_000);
  return { url: /^url (\S+)$/m.exec(out)![1], read: () => [...out.matchAll(/^request (\d+)$/gm)].map((m) => Number(m[1])) };
}

type Line = { kind: string; reason?: string };

describe('a request on a kept-alive connection the stalled server resets unread', () => {
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill('SIGKILL');
  });

  it('is sent again on a new connection: the rollout is the unstalled one, the reset attempt is on the ledger as lost, the server read each prompt once', async () => {
    const server = await stallingServer('anthropic');
    const dir = tempDir();
    const file = join(dir, 'stale.yaml');
    // maxRetries 0: no transient fault is retried, so only the resend of a request the server never read keeps the rollout.
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [3], rollouts: 1, concurrency: 1 })));
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    expect(server.read()).toEqual([1, 2, 3]);

    const r = await runCli(['run', file, '--out', join(dir, 'stalled')]);
    expect(errorRollouts(join(dir, 'stalled'))).toEqual([]);
    expect(r.status).toBe(0);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(dir, 'stalled', f))).toEqual(normalisedLines(join(dir, 'one', f)));
    // The reset happened (else this test proved nothing): one attempt lost, its request never read by the server.
    const ledger = readJsonlFile<Line>(join(dir, 'stalled', 'cost.jsonl'));
    const lost = ledger.filter((l) => l.kind === 'lost');
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toMatch(/(ECONNRESET|EPIPE).* on a kept-alive connection the server closed before any byte of the reply/);
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(4);
    expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(3);
    expect(server.read()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('the same through the openai agent (an OpenAI-compatible server)', async () => {
    const server = await stallingServer('openai');
    const dir = tempDir();
    const file = join(dir, 'stale-openai.yaml');
    const spec = scenarioSpec(server.url, { horizons: [3], rollouts: 1, concurrency: 1 });
    writeFileSync(file, stringify({ ...spec, agents: [{ name: 'qwen', kind: 'openai', params: { model: 'qwen3-test', baseURL: server.url, apiKeyEnv: OPENAI_KEY_ENV, maxRetries: 0 } }] }));
    const key = { [OPENAI_KEY_ENV]: 'sk-proj-test-stalling' };
    expect((await runCli(['run', file, '--out', join(dir, 'one')], key)).status).toBe(0);
    const r = await runCli(['run', file, '--out', join(dir, 'stalled')], key);
    expect(errorRollouts(join(dir, 'stalled'))).toEqual([]);
    expect(r.status).toBe(0);
    const ledger = readJsonlFile<Line>(join(dir, 'stalled', 'cost.jsonl'));
    const lost = ledger.filter((l) => l.kind === 'lost');
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toMatch(/^openai: connection failed.* on a kept-alive connection the server closed before any byte of the reply/);
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(4);
    expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(3);
    expect(server.read()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
