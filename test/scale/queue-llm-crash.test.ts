/**
 * Model-backed rollouts through the queue when a process dies, on a real
 * redis-server and the test's Messages API server (which counts every
 * request it answers):
 *
 * - kill -9 of a `hotmess worker` mid-request: the request the server
 *   answered to a dead process is on the run's ledger (its `sent` entry
 *   reached the run's call stream before it went out), settled as lost at
 *   the most it can have cost; the attempt that runs the job again re-reads
 *   what the killed one bought (no reply paid twice) and sends the lost
 *   request again, as a new request.
 * - kill -9 of the coordinator mid-request: `--resume --queue` applies what
 *   the workers paid while no coordinator listened (a reply that arrived
 *   after the crash settles the `sent` line the crashed coordinator wrote),
 *   redoes no finished rollout, pays no request twice, counts that spend in
 *   its budget, and gives the logs of one process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Redis } from 'ioredis';
import { CHECKOUT_ROOT } from '../../src/cli/version.js';
import { runCli, scenarioSpec, tempDir, useMessagesServer, waitFor } from '../llm/helpers.js';
import { kvSumAnswer, message, type MessagesServer, type ServerRequest } from '../llm/server.js';
import { errorRollouts, normalisedLines, readJsonlFile } from '../helpers/run-dir.js';
import { REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

let server: MessagesServer;
/** Called before the server answers its nth request (the kill lands while the request is in flight). */
let before: { n: number; act: () => Promise<void> } | null = null;
const answer = async (r: ServerRequest) => {
  if (before && r.n === before.n) await before.act();
  const n = createHash('sha256').update(JSON.stringify(r.body)).digest().readUInt32LE(0) % 1_000_000;
  return message(n, { input: { action: kvSumAnswer(r.body) } });
};
useMessagesServer(answer, (s) => (server = s));

interface Proc {
  readonly proc: ChildProcess;
  readonly exited: Promise<unknown>;
  stderr: string;
}
const procs: Proc[] = [];
/** The test's own connections to Redis (closed after each test). */
const clients: Redis[] = [];
const client = (port: number): Redis => {
  const r = new Redis(port, '127.0.0.1');
  r.on('error', () => undefined);
  clients.push(r);
  return r;
};

function start(args: readonly string[], env: Readonly<Record<string, string>> = {}): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, CI: '1', ...env } });
  const p: Proc = { proc, stderr: '', exited: new Promise((r) => proc.once('exit', r)) };
  proc.stderr!.on('data', (d) => (p.stderr += d.toString()));
  procs.push(p);
  return p;
}

/** A `hotmess worker`, ready; a short lock, so a killed one's job runs again within seconds. */
async function startWorker(url: string): Promise<Proc> {
  const w = start(['worker', '--queue', url, '--concurrency', '4', '--lock-ms', '1500']);
  await waitFor(() => w.stderr.includes('worker ready') || w.proc.exitCode !== null, 'a hotmess worker', 60_000);
  expect(w.stderr).toContain('worker ready');
  return w;
}

async function kill(p: Proc): Promise<void> {
  process.kill(-p.proc.pid!, 'SIGKILL');
  await p.exited;
}

/** One rollout per instance: every request's prompt differs, so the server's log says which were paid twice. */
function scenarioFile(dir: string, o: { rollouts: number; concurrency: number }): string {
  const file = join(dir, 'crash.yaml');
  writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [3], instances: o.rollouts, rollouts: 1, concurrency: o.concurrency })));
  return file;
}

type Line = { kind: string; invocation: number; id: number; reason?: string };
const ledger = (dir: string) => readJsonlFile<Line>(join(dir, 'cost.jsonl'));
const bodies = (rs: readonly ServerRequest[]) => rs.map((r) => JSON.stringify(r.body));

describe.skipIf(!REDIS_SERVER)('model-backed rollouts through the queue when a process dies', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    before = null;
    for (const r of clients.splice(0)) r.disconnect();
    for (const p of procs.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) process.kill(-p.proc.pid!, 'SIGKILL');
      await p.exited;
    }
    // A stopped run keeps its keys (its stop, its stream) for a resume: the next test starts from an empty Redis.
    await client(redis.port).flushall();
    for (const r of clients.splice(0)) r.disconnect();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('kill -9 of a worker mid-request: every request the server answered is on the ledger once, none paid twice', async () => {
    const dir = tempDir();
    // Two rollouts of three requests, one at a time: the kill lands on the second rollout's second request.
    const file = scenarioFile(dir, { rollouts: 2, concurrency: 1 });
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    server.requests.length = 0;

    const a = await startWorker(redis.url);
    before = { n: 5, act: () => kill(a) };
    const run = runCli(['run', file, '--out', join(dir, 'q'), '--queue', redis.url]);
    await waitFor(() => a.proc.signalCode !== null, 'the kill', 90_000);
    await startWorker(redis.url);
    const r = await run;
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(r.status).toBe(0);
    expect(errorRollouts(join(dir, 'q'))).toEqual([]);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(dir, 'q', f))).toEqual(normalisedLines(join(dir, 'one', f)));

    // The server answered 7 requests: the 6 prompts, and the 5th again (its first answer went to a dead process).
    const got = bodies(server.requests);
    expect(got).toHaveLength(7);
    expect(got[5]).toBe(got[4]);
    expect(new Set(got).size).toBe(6);
    // The 4th reply, which the killed worker had bought, was re-read by the attempt that ran its job again: sent once.
    expect(got.filter((b) => b === got[3])).toHaveLength(1);
    const lines = ledger(join(dir, 'q'));
    expect(lines.filter((l) => l.kind === 'sent')).toHaveLength(7);
    expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(6);
    const lost = lines.filter((l) => l.kind === 'lost');
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toMatch(/the queue worker running it stopped answering/);
    const total = JSON.parse(readFileSync(join(dir, 'q', 'cost.json'), 'utf8')).total;
    expect(total).toMatchObject({ calls: 6, requests: 7, unknownReplies: 1 });
    expect(total.costUsdAtMost).toBeGreaterThan(total.costUsd);
  });

  // A request lost with its worker is settled by the coordinator, at its bound; no worker will add it to the spend counter that
  // every worker's check before a request reads, so the coordinator does: the workers' view of the budget matches the ledger's.
  it('kill -9 of a worker mid-request under --max-cost: its lost request counts at its bound in the spend every worker checks', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, { rollouts: 2, concurrency: 1 });
    const r0 = client(redis.port);
    const a = await startWorker(redis.url);
    // The 5th request (the second rollout's second) dies with its worker. Four replies are $0.0093, five $0.011625: $0.012 is
    // reached only by counting the lost request at its bound (several times a reply's cost), as the ledger does.
    before = { n: 5, act: () => kill(a) };
    const run = runCli(['run', file, '--out', join(dir, 'q'), '--queue', redis.url, '--max-cost', '0.012']);
    await waitFor(() => a.proc.signalCode !== null, 'the kill', 90_000);
    await startWorker(redis.url);
    const r = await run;
    expect(r.stderr).toMatch(/run stopped \(cost budget of \$0\.012 reached \(counting 1 lost reply/);
    expect(r.status).toBe(7);
    const lines = ledger(join(dir, 'q')) as (Line & { costUsd?: number; maxUsd?: number })[];
    const lost = lines.filter((l) => l.kind === 'lost');
    expect(lost).toHaveLength(1);
    const bound = lines.find((l) => l.kind === 'sent' && l.id === lost[0].id)!.maxUsd!;
    const replies = lines.filter((l) => l.kind === 'reply').reduce((sum, l) => sum + l.costUsd!, 0);
    expect(replies).toBeLessThan(0.012);
    expect(replies + bound).toBeGreaterThanOrEqual(0.012);
    // The counter the workers' Lua check reads holds the lost request's bound, as the coordinator's budget does.
    const [key] = await r0.keys('hotmess:spent:*');
    expect(Number(await r0.get(key))).toBeCloseTo(replies + bound, 9);
    // So no request went out after the budget was reached: the 4 paid, and the one lost.
    expect(server.requests).toHaveLength(5);
  });

  it('kill -9 of the coordinator mid-request: --resume --queue settles what was paid meanwhile, redoes nothing, pays nothing twice', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, { rollouts: 6, concurrency: 2 });
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    server.requests.length = 0;

    await startWorker(redis.url);
    const out = join(dir, 'q');
    const coordinator = start(['run', file, '--out', out, '--queue', redis.url]);
    // The coordinator dies while the 7th request is at the server, once it has put the request on the ledger: the reply reaches
    // the worker with no coordinator listening.
    const sent = () => (existsSync(join(out, 'cost.jsonl')) ? ledger(out).filter((l) => l.kind === 'sent').length : 0);
    before = { n: 7, act: () => waitFor(() => sent() >= 7, 'the 7th request on the ledger', 60_000).then(() => kill(coordinator)) };
    await waitFor(() => coordinator.proc.signalCode !== null, 'the kill', 90_000);
    const committed = existsSync(join(out, 'rollouts.jsonl')) ? readJsonlFile(join(out, 'rollouts.jsonl')).length : 0;
    expect(committed).toBeLessThan(4);
    // The workers finish the two jobs in hand while no coordinator listens: 6 requests after the first two rollouts' 6.
    await waitFor(() => server.requests.length >= 12, 'the jobs in hand', 60_000);
    const seenBefore = ledger(out);
    expect(seenBefore.some((l) => l.kind === 'sent' && !seenBefore.some((s) => s.kind === 'reply' && s.id === l.id))).toBe(true);

    const r = await runCli(['run', file, '--out', out, '--resume', '--queue', redis.url, '--json']);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.skipped).toBe(committed);
    expect(errorRollouts(out)).toEqual([]);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(dir, 'one', f)));
    // 6 rollouts of 3 requests: each prompt paid once, across the crash.
    expect(server.requests).toHaveLength(18);
    expect(new Set(bodies(server.requests)).size).toBe(18);
    const lines = ledger(out);
    expect(lines.filter((l) => l.kind === 'sent')).toHaveLength(18);
    expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(18);
    expect(lines.filter((l) => l.kind === 'lost')).toHaveLength(0);
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total).toMatchObject({ calls: 18, requests: 18, unknownReplies: 0 });
    // The resumed invocation's spend (what its budget counts) includes the replies the crashed coordinator never saw.
    const firstCalls = cost.invocations[0].calls as number;
    const afterCrash = lines.filter((l) => l.kind === 'reply' && l.invocation === 1).length - seenBefore.filter((l) => l.kind === 'reply').length;
    expect(afterCrash).toBeGreaterThan(0);
    expect(summary.llm.paidCalls).toBe(18 - firstCalls + afterCrash);
  });

  // The window between applying a stream entry (a ledger line, a cache line) and removing it from the stream: the coordinator is
  // held there by a test hook and killed for real. The entry is also resent (as ioredis resends a command after a reconnect):
  // the copy has a new stream id, so only the ledger's record of each attempt's entries can tell it was applied.
  it.each(['sent:4', 'cache:4'])('kill -9 of the coordinator right after applying %s, and that entry resent: --resume applies every entry once', async (hold) => {
    const dir = tempDir();
    const file = scenarioFile(dir, { rollouts: 6, concurrency: 2 });
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    server.requests.length = 0;

    await startWorker(redis.url);
    const out = join(dir, 'q');
    const coordinator = start(['run', file, '--out', out, '--queue', redis.url], { HOTMESS_TEST_HOLD_AFTER_APPLY: hold });
    await waitFor(() => coordinator.stderr.includes('hotmess-test: holding'), 'the coordinator held after applying', 90_000);
    await kill(coordinator);
    const repliedBefore = ledger(out).filter((l) => l.kind === 'reply').length;
    const heldId = /holding after applying (\S+)/.exec(coordinator.stderr)![1];
    const r0 = client(redis.port);
    const [stream] = await r0.keys('hotmess:calls:*');
    const [[, fields]] = await r0.xrange(stream, heldId, heldId);
    expect(fields).toContain(hold.split(':')[0] === 'sent' ? 'n' : 'c');
    await r0.xadd(stream, '*', ...fields);
    // The two jobs in hand finish (their 6 requests) while no coordinator listens.
    await waitFor(() => server.requests.length >= 6, 'the jobs in hand', 60_000);

    const r = await runCli(['run', file, '--out', out, '--resume', '--queue', redis.url, '--json']);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(r.status).toBe(0);
    expect(errorRollouts(out)).toEqual([]);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(dir, 'one', f)));
    expect(server.requests).toHaveLength(18);
    // Each request once on the ledger, sent and settled; each reply once in the cache.
    const lines = ledger(out);
    const settled = lines.filter((l) => l.kind !== 'end' && l.kind !== 'sent').map((l) => `${l.invocation}/${l.id}`);
    expect(settled).toHaveLength(18);
    expect(new Set(settled).size).toBe(18);
    expect(lines.filter((l) => l.kind === 'sent')).toHaveLength(18);
    expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(18);
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total).toMatchObject({ calls: 18, requests: 18, unknownReplies: 0 });
    expect(cost.total.costUsdAtMost).toBe(cost.total.costUsd);
    const cacheLines = (d: string) => readdirSync(join(d, 'cache')).flatMap((f) => readFileSync(join(d, 'cache', f), 'utf8').split('\n').filter(Boolean)).sort();
    expect(cacheLines(out)).toEqual(cacheLines(join(dir, 'one')));
    // The resumed invocation's spend (what its budget counts) holds each reply it applied once.
    const summary = JSON.parse(r.stdout);
    expect(summary.llm.paidCalls).toBe(18 - repliedBefore);
  });

  // Ctrl-C waits for no reply: the coordinator used to wait up to 10 s for the requests in flight to be settled. Nothing is lost:
  // the request in flight is `sent` on the ledger, its worker puts the reply on the run's stream, and `--resume` settles it.
  it.each([false, true])('Ctrl-C of a coordinator with a request in flight exits at once; --resume (at once: %s) finishes the run, paying nothing twice', async (atOnce) => {
    const dir = tempDir();
    const file = scenarioFile(dir, { rollouts: 6, concurrency: 2 });
    expect((await runCli(['run', file, '--out', join(dir, 'one')])).status).toBe(0);
    server.requests.length = 0;

    await startWorker(redis.url);
    const out = join(dir, 'q');
    const coordinator = start(['run', file, '--out', out, '--queue', redis.url]);
    const sent = () => (existsSync(join(out, 'cost.jsonl')) ? ledger(out).filter((l) => l.kind === 'sent').length : 0);
    let signalled = 0;
    const r0 = client(redis.port);
    // The 4th request stays at the server until the coordinator has exited (at most 15 s: it used to wait 10 for the reply), and
    // with `atOnce` until the resumed coordinator has started (cleared the stop): its worker then gives its job up for a stop
    // that no longer holds.
    before = {
      n: 4,
      act: async () => {
        await waitFor(() => sent() >= 4, 'the 4th request on the ledger', 60_000);
        process.kill(coordinator.proc.pid!, 'SIGINT');
        signalled = Date.now();
        await Promise.race([coordinator.exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (!atOnce) return;
        for (let until = Date.now() + 60_000; (await r0.keys('hotmess:stop:*')).length > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      },
    };
    await coordinator.exited;
    const exitedAfter = Date.now() - signalled;
    expect(signalled).toBeGreaterThan(0);
    expect(coordinator.proc.exitCode).toBe(130);
    expect(coordinator.stderr).toMatch(/run stopped \(interrupted\)/);
    // Promptly: it used to wait 10 s for the reply. (Generous for a loaded machine: it takes about 0.1 s.)
    expect(exitedAfter).toBeLessThan(2500);
    // The request in flight is on the ledger as sent, its fate unknown until the resume reads it.
    const atExit = ledger(out);
    const unsettled = atExit.filter((l) => l.kind === 'sent' && !atExit.some((s) => s.kind !== 'sent' && s.kind !== 'end' && s.id === l.id));
    expect(unsettled.length).toBeGreaterThanOrEqual(1);
    expect(atExit.filter((l) => l.kind === 'lost')).toEqual([]);
    // Else the worker gives its jobs up (the stop) before the resume.
    if (!atOnce) for (let until = Date.now() + 30_000; (await r0.llen('bull:hotmess:active')) > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));

    const r = await runCli(['run', file, '--out', out, '--resume', '--queue', redis.url]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(r.status).toBe(0);
    expect(errorRollouts(out)).toEqual([]);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(dir, 'one', f)));
    expect(server.requests).toHaveLength(18);
    expect(new Set(bodies(server.requests)).size).toBe(18);
    const lines = ledger(out);
    expect(lines.filter((l) => l.kind === 'sent')).toHaveLength(18);
    expect(lines.filter((l) => l.kind === 'reply')).toHaveLength(18);
    expect(JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8')).total).toMatchObject({ calls: 18, requests: 18, unknownReplies: 0 });
  });
});
