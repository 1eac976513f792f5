/**
 * The error rollout a resumed model-backed queue run committed under load,
 * caused for real: the coordinator is killed (kill -9) mid-run, the workers
 * finish the jobs in hand, and the Messages server (its own process) is
 * stopped (SIGSTOP) after their last reply, as a loaded machine deschedules
 * it. The resumed run's first requests go out on the workers' kept-alive
 * connections, idle since, and wait unread; when the server runs again its
 * idle timers fire first and reset them. With `maxRetries: 0` those
 * rollouts ended in `error`; now each such request is sent once more on a
 * new connection, and the resumed run gives the logs of one process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHECKOUT_ROOT } from '../../src/cli/version.js';
import { runCli, scenarioSpec, tempDir, waitFor } from '../llm/helpers.js';
import { errorRollouts, normalisedLines, readJsonlFile } from '../helpers/run-dir.js';
import { REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

interface Proc {
  readonly proc: ChildProcess;
  readonly exited: Promise<unknown>;
  out: string;
}
const procs: Proc[] = [];
function start(args: readonly string[], env: Readonly<Record<string, string>> = {}): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, CI: '1', ...env } });
  const p: Proc = { proc, out: '', exited: new Promise((r) => proc.once('exit', r)) };
  proc.stdout!.on('data', (d) => (p.out += d.toString()));
  proc.stderr!.on('data', (d) => (p.out += d.toString()));
  procs.push(p);
  return p;
}
const read = (server: Proc) => [...server.out.matchAll(/^request (\d+)$/gm)].length;
type Line = { kind: string; reason?: string };

describe.skipIf(!REDIS_SERVER)('a resumed model-backed queue run whose server stalls as it starts', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) process.kill(-p.proc.pid!, 'SIGKILL');
      await p.exited;
    }
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('commits no error rollout: requests reset unread on idle connections are sent again, and the logs are one process’s', async () => {
    // 6 rollouts of 3 requests, 2 at a time: the kill lands at the 7th request; the 2 jobs in hand end at the 12th, after which the
    // server stops for 10 s. Its idle close comes about 9 s after a reply, and the workers reuse a connection for 7 s (its
    // `keep-alive: timeout=8` less a second): time enough for the resumed coordinator to start on a loaded machine.
    const server = start(['test/llm/stalling-server.ts'], { STALL_AFTER: '12', STALL_MS: '10000', KEEP_ALIVE_MS: '8000' });
    await waitFor(() => /^url /m.test(server.out), 'the stalling server', 60_000);
    const url = /^url (\S+)$/m.exec(server.out)![1];
    const dir = tempDir();
    const file = join(dir, 'stall.yaml');
    writeFileSync(file, stringify(scenarioSpec(url, { horizons: [3], instances: 6, rollouts: 1, concurrency: 2 })));

    const worker = start(['src/cli/main.ts', 'worker', '--queue', redis.url, '--concurrency', '4', '--lock-ms', '1500']);
    await waitFor(() => worker.out.includes('worker ready') || worker.proc.exitCode !== null, 'a hotmess worker', 60_000);
    const out = join(dir, 'q');
    const coordinator = start(['src/cli/main.ts', 'run', file, '--out', out, '--queue', redis.url]);
    const sent = () => (existsSync(join(out, 'cost.jsonl')) ? readJsonlFile<Line>(join(out, 'cost.jsonl')).filter((l) => l.kind === 'sent').length : 0);
    await waitFor(() => sent() >= 7, 'the 7th request on the ledger', 90_000);
    process.kill(-coordinator.proc.pid!, 'SIGKILL');
    await coordinator.exited;
    // The jobs in hand finish with no coordinator listening; the server then stops.
    await waitFor(() => read(server) >= 12, 'the jobs in hand', 60_000);

    const r = await runCli(['run', file, '--out', out, '--resume', '--queue', redis.url]);
    expect(errorRollouts(out)).toEqual([]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(r.status).toBe(0);
    // The reset happened (else this proved nothing): requests lost on the ledger, never read by the server.
    const lines = readJsonlFile<Line>(join(out, 'cost.jsonl'));
    const lost = lines.filter((l) => l.kind === 'lost');
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const l of lost) expect(l.reason).toMatch(/on a kept-alive connection the server closed before any byte of the reply/);
    expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(18);
    expect(read(server)).toBe(18);

    // The same scenario in one process, against the same server (it stalls no more).
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(dir, 'one', f)));
  });
});
