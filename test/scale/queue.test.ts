/**
 * `run --queue` and `hotmess worker` against a real redis-server that the
 * test starts (free port, temporary directory) and stops by PID, with real
 * worker processes, a real kill -9 of a worker and of the coordinator, and a
 * real loss of the server. Skips with one line when redis-server is missing.
 * Where the worker's process is not the point (it is killed, or its exit code
 * and stderr are checked), the worker runs in this process: the same
 * serveQueue on the same real server, without a second of node start-up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { parseScenario, resolveScenario } from '../../src/engine/index.js';
import { decodeResult, encodeResult, fingerprint, jobId, parseQueueUrl, QUEUE_NAME, readJobResult, serveQueue, type JobData, type JobResult } from '../../src/queue/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { CHECKOUT_ROOT, PACKAGE_VERSION } from '../../src/cli/version.js';
import { hotmess } from '../helpers/cli.js';
import { normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { answers, freePort, REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

const SCENARIO = `name: queued
environment: kv-sum
params: { dictSize: 32, keysPerStep: 2 }
horizons: [40, 300]
instances: 3
rollouts: 20
seed: 21
agents:
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
  - { name: sc, kind: self-conditioning, params: { epsilon0: 0.05, growth: 0.1 } }
`;
const TOTAL = 2 * 2 * 3 * 20;
/** Small jobs, so every worker holds one whenever a kill lands. */
const JOB = ['--job-steps', '1500'];

interface Proc {
  readonly proc: ChildProcess;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const procs: Proc[] = [];

/** A real `hotmess worker` process (node + tsx, as `npm run hotmess` starts it). */
async function startWorker(url: string): Promise<Proc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queue', url, '--lock-ms', '2000'], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  const p: Proc = { proc, stderr: '', exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  proc.stderr!.on('data', (d) => (p.stderr += d.toString()));
  procs.push(p);
  await waitFor(() => p.stderr.includes('worker ready') || proc.exitCode !== null, 60_000);
  expect(p.stderr).toContain('worker ready');
  return p;
}

const inProcess: { stop(): Promise<unknown> }[] = [];

/** A worker in this process (serveQueue, as `hotmess worker` runs it), stopped after each test. */
function serveHere(url: string): void {
  const controller = new AbortController();
  const served = serveQueue({ url: parseQueueUrl(url), registry: REGISTRY, root: CHECKOUT_ROOT, version: PACKAGE_VERSION, concurrency: 1, lockMs: 2000, signal: controller.signal, onLine: () => undefined });
  inProcess.push({ stop: () => (controller.abort(), served) });
}

/** A coordinator in its own process group, so kill -9 reaches it whole. */
function startCoordinator(file: string, out: string, url: string): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', file, '--out', out, '--queue', url, ...JOB], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, CI: '1' } });
  const p: Proc = { proc, stderr: '', exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  proc.stderr!.on('data', (d) => (p.stderr += d.toString()));
  procs.push(p);
  return p;
}

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** stderr without the plain progress lines a non-TTY run prints. */
const problems = (stderr: string): string[] => stderr.split('\n').filter((l) => l.length > 0 && !/^run queued: \d+\/\d+ /.test(l));

const committed = (dir: string): number => (existsSync(join(dir, 'rollouts.jsonl')) ? readFileSync(join(dir, 'rollouts.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);

function expectWhole(reference: string, dir: string): void {
  const ids = readJsonlFile<{ rollout: string }>(join(dir, 'rollouts.jsonl')).map((r) => r.rollout);
  expect(ids.length).toBe(TOTAL);
  expect(new Set(ids).size).toBe(TOTAL);
  for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(dir, f))).toEqual(normalisedLines(join(reference, f)));
}

describe.skipIf(!REDIS_SERVER)('run --queue with hotmess worker processes on a real redis-server', () => {
  let redis: RedisServer;
  let root: string;
  let file: string;
  let reference: string;

  beforeAll(async () => {
    redis = await startRedis();
    root = tempDir();
    file = join(root, 'queued.yaml');
    writeFileSync(file, SCENARIO);
    reference = join(root, 'reference');
    expect((await hotmess('run', file, '--out', reference)).status).toBe(0);
  });

  afterEach(async () => {
    for (const w of inProcess.splice(0)) await w.stop();
    for (const p of procs.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      await p.exited;
    }
    // A test that failed while the server was down must not leave the next one without it.
    if (!(await answers(redis.port))) redis = await startRedis(redis.port);
    const r = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    r.on('error', () => undefined);
    await r.connect();
    await r.flushall();
    r.disconnect();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('three workers give the logs of a single process; kill -9 of one costs nothing', async () => {
    const workers = await Promise.all([startWorker(redis.url), startWorker(redis.url), startWorker(redis.url)]);
    const events = new QueueEvents(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    let stalled = 0;
    events.on('stalled', () => stalled++);
    await events.waitUntilReady();
    const out = join(tempDir(), 'run');
    const run = hotmess('run', file, '--out', out, '--queue', redis.url, ...JOB);
    // Mid-run, while every worker is busy: kill one outright.
    await waitFor(() => committed(out) >= 20, 60_000);
    workers[0].proc.kill('SIGKILL');
    const r = await run;
    expect(problems(r.stderr)).toEqual([]);
    expect(r.status).toBe(0);
    expectWhole(reference, out);
    // Its job came back through BullMQ's stalled-job check, not from the coordinator.
    expect(stalled).toBeGreaterThanOrEqual(1);
    await events.close();
    // Committed jobs are removed from Redis.
    const status = await hotmess('queue', 'status', '--queue', redis.url, '--json');
    expect(JSON.parse(status.stdout).runs).toEqual([]);
  });

  it('survives kill -9 of the coordinator: --resume --queue re-attaches and collects what finished meanwhile', async () => {
    serveHere(redis.url);
    serveHere(redis.url);
    const out = join(tempDir(), 'run');
    const coordinator = startCoordinator(file, out, redis.url);
    await waitFor(() => committed(out) >= 10, 60_000);
    process.kill(-coordinator.proc.pid!, 'SIGKILL');
    await coordinator.exited;
    const before = committed(out);
    expect(before).toBeLessThan(TOTAL);
    // The workers go on with the queued jobs while no coordinator listens.
    const queueStatus = async () => JSON.parse((await hotmess('queue', 'status', '--queue', redis.url, '--json')).stdout);
    let status = await queueStatus();
    for (const until = Date.now() + 60_000; status.runs[0]?.jobs.completed === 0 && Date.now() < until; status = await queueStatus()) await new Promise((r) => setTimeout(r, 50));
    expect(status.runs).toHaveLength(1);
    expect(status.runs[0].jobs.completed).toBeGreaterThan(0);
    const r = await hotmess('run', file, '--out', out, '--resume', '--queue', redis.url, ...JOB);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${before} already done`);
    expectWhole(reference, out);
  });

  it('stops in one line with the network exit code when Redis dies mid-run, and resumes once it is back', async () => {
    const worker = await startWorker(redis.url);
    const out = join(tempDir(), 'run');
    const run = hotmess('run', file, '--out', out, '--queue', redis.url, ...JOB);
    await waitFor(() => committed(out) >= 10, 60_000);
    await redis.stop('SIGKILL');
    const r = await run;
    expect(r.status).toBe(6);
    const lines = problems(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hotmess: redis:\/\/127\.0\.0\.1:\d+: lost the connection to Redis .*continue with: .* --resume --queue redis:/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('interrupted');
    // The worker notices too, and says so in one line.
    expect(await worker.exited).toBe(6);
    expect(worker.stderr).toMatch(/hotmess: redis:\/\/127\.0\.0\.1:\d+: lost the connection to Redis/);
    expect(worker.stderr).not.toMatch(/\n\s+at /);
    redis = await startRedis(redis.port);
    serveHere(redis.url);
    const again = await hotmess('run', file, '--out', out, '--resume', '--queue', redis.url, ...JOB);
    expect(again.status).toBe(0);
    expectWhole(reference, out);
  });

  it('rejects a malformed result, never commits it, and runs the job again', async () => {
    // A worker that answers garbage once (bytes that do not match their checksum), then leaves.
    let answered = 0;
    const store = new Redis(redis.port, '127.0.0.1');
    const liar = new Worker(
      QUEUE_NAME,
      async (job) => {
        if (answered++ > 0) throw new Error('gone');
        const key = `hotmess:result:${job.id}`;
        await store.set(key, 'garbage');
        return { v: 3, key, bytes: 7, crc32: 0 } satisfies JobResult;
      },
      { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, autorun: true },
    );
    const out = join(tempDir(), 'run');
    const run = hotmess('run', file, '--out', out, '--queue', redis.url, ...JOB);
    await waitFor(() => answered >= 1, 60_000);
    await liar.close();
    store.disconnect();
    serveHere(redis.url);
    const r = await run;
    expect(r.status).toBe(0);
    expect(problems(r.stderr).join('\n')).toMatch(/^hotmess: warning: rejected a malformed result of job hm-[0-9a-f]+ \(result checksum mismatch \(CRC-32\)\); it is run again$/);
    expectWhole(reference, out);
  });

  it('a worker refuses a job from another version or module source, in one line, and keeps serving', async () => {
    const worker = await startWorker(redis.url);
    const s = await resolveScenario(parseScenario((await import('yaml')).parse(SCENARIO)), REGISTRY, null);
    const fp = fingerprint(CHECKOUT_ROOT, s, PACKAGE_VERSION);
    const base = { v: 1 as const, run: 'forged', name: 'queued', spec: s.spec, file: null, agent: 'noisy', horizon: 40, first: 0, count: 2 };
    const queue = new Queue<JobData>(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    const events = new QueueEvents(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    await events.waitUntilReady();
    const cases: [string, JobData, RegExp][] = [
      ['old', { ...base, fingerprint: { ...fp, version: '0.0.1-old' } }, /package version 0\.0\.1-old ≠ /],
      ['mod', { ...base, fingerprint: { ...fp, modules: { ...fp.modules, 'agent:noisy': 'deadbeefdeadbeef' } } }, /module agent:noisy differs \(deadbeefdeadbeef ≠ [0-9a-f]{16} here\)/],
      ['ok', { ...base, fingerprint: fp }, /^$/],
    ];
    for (const [name, data, reason] of cases) {
      const job = await queue.add('rollouts', data, { jobId: jobId('forged', name), attempts: 1 });
      if (name === 'ok') {
        const ref = readJobResult(await job.waitUntilFinished(events, 60_000));
        const r = new Redis(redis.port, '127.0.0.1');
        expect(decodeResult(await r.getBuffer(ref.key), ref, data).rollouts.map((x) => x.id)).toEqual(['noisy:40:0:0', 'noisy:40:0:1']);
        r.disconnect();
      } else {
        await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow(reason);
      }
    }
    const refusals = worker.stderr.split('\n').filter((l) => l.includes('refusing job'));
    expect(refusals).toHaveLength(2);
    for (const l of refusals) expect(l).toMatch(/^hotmess worker: refusing job hm-[0-9a-f]+ of run queued \(forged\): .+; every machine must run the same checkout$/);
    expect(worker.proc.exitCode).toBeNull();
    const status = JSON.parse((await hotmess('queue', 'status', '--queue', redis.url, '--json')).stdout);
    expect(status.runs).toEqual([{ run: 'forged', name: 'queued', jobs: { waiting: 0, active: 0, delayed: 0, completed: 1, failed: 2 } }]);
    expect(status.workers).toBeGreaterThanOrEqual(1);
    await events.close();
    await queue.close();
  });

  it('fails in one line with the network exit code when Redis is unreachable, before touching --out', async () => {
    const dir = tempDir();
    const closed = `redis://127.0.0.1:${(await freePort())}`;
    const r = await hotmess('run', file, '--out', join(dir, 'run'), '--queue', closed);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/^hotmess: redis:\/\/127\.0\.0\.1:\d+: cannot reach Redis \(ECONNREFUSED\); is redis-server running there\?\n$/);
    expect(existsSync(join(dir, 'run'))).toBe(false);
    const bad = await hotmess('run', file, '--queue', 'http://x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('hotmess: --queue: expected a redis:// URL, got "http:"\n');
  });
});

describe('queue results are checked before anything is committed', () => {
  const spec = parseScenario({ name: 'c', environment: 'kv-sum', horizons: [3], instances: 1, rollouts: 2, seed: 1, agents: [{ name: 'a', kind: 'oracle' }] });
  const job = { spec, agent: 'a', horizon: 3, first: 0, count: 2 };
  const step = (id: string, t: number) => `{"rollout":"${id}","t":${t},"action":1}\n`;
  const line = (id: string, length: number) => JSON.stringify({ rollout: id, termination: 'truncated', length });
  const good = [
    { id: 'a:3:0:0', line: line('a:3:0:0', 2), steps: step('a:3:0:0', 1) + step('a:3:0:0', 2) },
    { id: 'a:3:0:1', line: line('a:3:0:1', 1), steps: step('a:3:0:1', 1) },
  ];

  const decoded = (x: { blob: Buffer | null; result: JobResult }) => decodeResult(x.blob, x.result, job).rollouts.map((r) => ({ ...r, steps: r.steps.toString('utf8') }));
  /** A blob changed after it was made, with a checksum that matches the change (a worker that counts wrong). */
  const rehashed = (blob: Buffer, change: (b: Buffer) => void) => {
    const b = Buffer.from(blob);
    change(b);
    return { blob: b, result: { v: 3 as const, key: 'k', bytes: b.length, crc32: crc32(b) } };
  };

  it('accepts exactly the job rollouts, step bytes as they were made', () => {
    expect(decoded(encodeResult(good))).toEqual(good);
    expect(readJobResult(JSON.stringify(encodeResult(good).result))).toEqual(encodeResult(good).result);
  });

  it.each([
    ['too few rollouts', encodeResult(good.slice(0, 1)), /expected 2 rollouts, got 1/],
    ['another rollout', encodeResult([good[1], good[0]]), /rollout 0: expected a:3:0:0, got a:3:0:1/],
    ['a foreign step line', encodeResult([{ ...good[0], steps: step('a:3:0:0', 1) + step('a:3:0:1', 2) }, good[1]]), /a:3:0:0: a step line that is not this rollout's/],
    ['a missing step', encodeResult([{ ...good[0], steps: step('a:3:0:0', 1) }, good[1]]), /a:3:0:0: 1 step lines for a rollout of length 2/],
    ['a torn rollout line', encodeResult([{ ...good[0], line: '{"rollout":"a:3:0:0"' }, good[1]]), /rollout 0 \(a:3:0:0\): malformed rollout line/],
    ['a byte changed in transit', { ...encodeResult(good), blob: Buffer.from(encodeResult(good).blob).fill(0x41, 30, 31) }, /result checksum mismatch \(CRC-32\)/],
    ['a short blob', { ...encodeResult(good), blob: encodeResult(good).blob.subarray(1) }, /result is \d+ bytes, the worker sent \d+/],
    ['a blob gone from Redis', { ...encodeResult(good), blob: null }, /result hotmess:result:test is not in Redis \(expired, or removed\)/],
    ['a step count the lines do not match', rehashed(encodeResult(good).blob, (b) => b.writeUInt32LE(3, 12)), /a:3:0:0: 2 step lines, the worker counted 3/],
    ['bytes after the last rollout', rehashed(Buffer.concat([encodeResult(good).blob, Buffer.from('x')]), () => undefined), /1 bytes after the last rollout/],
  ])('rejects %s', (_name, raw, reason) => {
    expect(() => decodeResult(raw.blob, raw.result, job)).toThrow(reason);
  });

  it('rejects a return value that is not a reference to a result', () => {
    expect(() => readJobResult({ v: 1, z: 'eJw=' })).toThrow(/not a hotmess job result \(expected \{v: 3, key, bytes, crc32\}\)/);
  });
});
