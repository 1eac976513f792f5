/**
 * Model-backed agents through the queue, against a real redis-server and
 * the test's Messages API server: two `hotmess worker` processes call the
 * API, one request rate holds across both (BullMQ's queue limiter, from the
 * scenario's `queueRateLimit`, counted at the server), the coordinator keeps
 * the run's ledger and cache from what jobs report and stops at the budget,
 * and the API key is in no Redis key and no file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Redis } from 'ioredis';
import { CHECKOUT_ROOT } from '../../src/cli/version.js';
import { allFiles, runCli, scenarioSpec, SENTINEL_KEY, tempDir, useMessagesServer, waitFor } from '../llm/helpers.js';
import { kvSumAnswer, message, type MessagesServer, type ServerRequest } from '../llm/server.js';
import { errorRollouts, normalisedLines, readJsonlFile } from '../helpers/run-dir.js';
import { pidOfLocalPort } from '../helpers/peer.js';
import { REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

let server: MessagesServer;
let senders = new Set<number | null>();
/** Called at the server's 9th request (mid-run), e.g. to look into Redis. */
let midRun: (() => Promise<void>) | null = null;
const answer = async (r: ServerRequest) => {
  senders.add(r.remotePort === undefined ? null : pidOfLocalPort(r.remotePort));
  if (r.n === 9 && midRun) await midRun();
  // Ids from the request, not its arrival: logs can be compared byte for byte.
  const n = createHash('sha256').update(JSON.stringify(r.body)).digest().readUInt32LE(0) % 1_000_000;
  return message(n, { input: { action: kvSumAnswer(r.body) } });
};
useMessagesServer(answer, (s) => (server = s));

const RATE = { max: 4, duration: 1000 };

function scenarioFile(dir: string, o: { concurrency: number }): string {
  const base = scenarioSpec(server.url, { horizons: [3], rollouts: 6, concurrency: o.concurrency });
  const file = join(dir, 'queued-llm.yaml');
  writeFileSync(file, stringify({ ...base, queueRateLimit: RATE, agents: [...base.agents, { name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } }] }));
  return file;
}

/** Every value in Redis, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function redisText(port: number): Promise<string> {
  const r = new Redis(port, '127.0.0.1');
  const parts: string[] = [];
  for (const key of await r.keys('*')) {
    const type = await r.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await r.getBuffer(key))?.toString('latin1') ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await r.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await r.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await r.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await r.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await r.xrange(key, '-', '+')));
  }
  r.disconnect();
  return parts.join('\n');
}

describe.skipIf(!REDIS_SERVER)('run --queue with a model-backed agent', () => {
  let redis: RedisServer;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queue', redis.url, '--concurrency', '4', '--lock-ms', '5000'], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
      let err = '';
      proc.stderr!.on('data', (d) => (err += d.toString()));
      workers.push(proc);
      await waitFor(() => err.includes('worker ready') || proc.exitCode !== null, 'a hotmess worker', 60_000);
      expect(err).toContain('worker ready');
    }
  });

  afterEach(() => {
    senders = new Set();
    midRun = null;
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await redis?.stop();
  });

  it('gives the logs, ledger and cache of one process, at the queue-wide rate, with no key in Redis or any file', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, { concurrency: 6 });
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    server.requests.length = 0;
    senders = new Set();
    let inRedis = '';
    midRun = async () => {
      inRedis = await redisText(redis.port);
    };
    const q = await runCli(['run', file, '--out', join(dir, 'q'), '--queue', redis.url]);
    expect(q.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(q.status).toBe(0);
    expect(errorRollouts(join(dir, 'q'))).toEqual([]);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(dir, 'q', f))).toEqual(normalisedLines(join(dir, 'one', f)));
    // The workers called the API, not the coordinator.
    expect(server.requests.length).toBe(18);
    expect(senders.has(process.pid)).toBe(false);
    expect(senders.has(null)).toBe(false);
    // The rate held across both workers: 18 requests at 4 a second need 4 windows after the first, and no second holds more than two windows' worth.
    // Arrivals are permits plus each request's way to the server (a stop check, the ledger entry, the SDK), which varies under load: half a window of slack.
    const at = server.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual(Math.ceil(18 / RATE.max - 1) * RATE.duration - RATE.duration / 2);
    for (const t of at) expect(at.filter((u) => u >= t && u < t + RATE.duration).length).toBeLessThanOrEqual(2 * RATE.max);
    // The coordinator kept the run's ledger and cache from what the jobs reported.
    const ledger = readJsonlFile<{ kind: string }>(join(dir, 'q', 'cost.jsonl'));
    expect(ledger.filter((l) => l.kind === 'sent')).toHaveLength(18);
    expect(ledger.filter((l) => l.kind === 'reply')).toHaveLength(18);
    const cached = (run: string) => allFiles(join(dir, run, 'cache')).flatMap((f) => readJsonlFile<{ key: string }>(f).map((e) => e.key)).sort();
    expect(cached('q')).toEqual(cached('one'));
    expect(JSON.parse(readFileSync(join(dir, 'q', 'cost.json'), 'utf8')).total).toEqual(JSON.parse(readFileSync(join(dir, 'one', 'cost.json'), 'utf8')).total);
    // No key anywhere: Redis mid-run (it held the jobs then) and after, and every file of the run.
    expect(inRedis).toContain('claude-haiku-4-5');
    // The scan saw the run's call stream (the workers' ledger entries as they paid).
    expect(inRedis).toContain('hotmess:calls:');
    expect(inRedis).not.toContain(SENTINEL_KEY);
    expect(await redisText(redis.port)).not.toContain(SENTINEL_KEY);
    for (const f of allFiles(join(dir, 'q'))) expect(readFileSync(f, 'utf8')).not.toContain(SENTINEL_KEY);
    // The run leaves nothing of its own in Redis: no permit queue (its meta, id, events, limiter keys), no job, no result.
    const left = new Redis(redis.port, '127.0.0.1');
    const keys = await left.keys('*');
    left.disconnect();
    expect(keys.filter((k) => k.includes('permits') || k.startsWith('hotmess:'))).toEqual([]);
    const status = await runCli(['queue', 'status', '--queue', redis.url, '--json']);
    expect(JSON.parse(status.stdout).runs).toEqual([]);
  });

  it('stops within one request of the budget as the workers pay, sends nothing after, and resumes without paying twice', async () => {
    const dir = tempDir();
    // Six rollouts of three requests at once: counted only as jobs returned, the first would return after about 13 requests.
    const file = scenarioFile(dir, { concurrency: 6 });
    server.requests.length = 0;
    const r = await runCli(['run', file, '--out', join(dir, 'q'), '--queue', redis.url, '--max-cost', '0.005']);
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/run stopped \(cost budget of \$0\.005 reached\)/);
    // Every request a worker made is on the run's ledger as it was paid, and no worker goes on spending after the stop.
    const ledger = () => readJsonlFile<{ kind: string; reason?: string }>(join(dir, 'q', 'cost.jsonl'));
    const replies = () => ledger().filter((l) => l.kind === 'reply').length;
    expect(replies()).toBe(server.requests.length);
    const made = server.requests.length;
    // $0.005 is passed by the third reply ($0.002325 each); the other five rollouts can each have had one request in flight then.
    expect(made).toBeGreaterThanOrEqual(3);
    expect(made).toBeLessThanOrEqual(3 + 5);
    await new Promise((done) => setTimeout(done, 1500));
    expect(server.requests.length).toBe(made);
    expect(JSON.parse(readFileSync(join(dir, 'q', 'manifest.json'), 'utf8')).status).toBe('interrupted');
    // Resume: the rollouts given up re-read what they bought; every prompt is paid once in all.
    const again = await runCli(['run', file, '--out', join(dir, 'q'), '--resume', '--queue', redis.url]);
    expect(errorRollouts(join(dir, 'q'))).toEqual([]);
    expect(again.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(again.status).toBe(0);
    expect(readJsonlFile(join(dir, 'q', 'rollouts.jsonl'))).toHaveLength(12);
    expect(server.requests.length).toBe(18);
    expect(replies()).toBe(18);
    expect(JSON.parse(readFileSync(join(dir, 'q', 'cost.json'), 'utf8')).total).toMatchObject({ calls: 18, unknownReplies: 0 });
  });
});
