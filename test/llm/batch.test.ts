/**
 * `run --batch`: anthropic agents through a Message Batches server started
 * here on 127.0.0.1, driven by the real SDK (key as `Authorization: Bearer`).
 * Lockstep (one batch per step), results in shuffled order matched by custom
 * id, errored and expired requests retried, the batch price in the ledger,
 * --dry-run --batch, --max-cost before each batch, replay, and kill -9 while
 * a batch is in progress, then --resume without submitting a step twice.
 */
import { getEventListeners } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hotmess } from '../helpers/cli.js';
import { cleanup, KEY_ENV, readJsonl, rollouts, scenarioSpec, SENTINEL_KEY, spawnCliDetached, steps, tempDir, waitFor, withoutTiming } from './helpers.js';
import { startBatchServer, type BatchHandler, type BatchServer } from './batch-server.js';
import { kvSumAnswer, message } from './server.js';
import { MessageBatcher, type BatchRequestMeta } from '../../src/llm/index.js';

/** One call with the server's default usage on Haiku 4.5 at full price (see cost.test.ts), and at the batch price. */
const CALL_USD = 0.002325;
const BATCH_CALL_USD = CALL_USD / 2;

const right: BatchHandler = (item, b) => ({ type: 'succeeded', message: message(b, { input: { action: kvSumAnswer(item.params) } }).json });

let server: BatchServer;
beforeAll(async () => {
  server = await startBatchServer(SENTINEL_KEY, right);
});
afterAll(() => server.close());
afterEach(() => {
  (server.batches as unknown[]).length = 0;
  server.handler = right;
  server.pollsToEnd = 1;
  server.hold = false;
  cleanup();
});

function scenarioFile(o: { horizons?: number[]; rollouts?: number; agent?: Record<string, unknown>; scripted?: boolean } = {}): { file: string; dir: string } {
  const dir = tempDir();
  const spec = scenarioSpec(server.url, { horizons: o.horizons ?? [3], rollouts: o.rollouts ?? 4, agent: o.agent });
  const agents = o.scripted ? [...spec.agents, { name: 'oracle', kind: 'oracle' }] : spec.agents;
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, stringify({ ...spec, agents }));
  return { file, dir };
}

/** Whether the process holding RUN/.lock still runs (a zombie does not). */
function holderAlive(out: string): boolean {
  let pid: number;
  try {
    pid = JSON.parse(readFileSync(join(out, '.lock'), 'utf8')).pid;
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** The step (t) and attempt a custom id names. */
const stepOf = (id: string) => Number(/-t(\d+)-a\d+$/.exec(id)![1]);

describe('run --batch', () => {
  it('runs anthropic rollouts in lockstep, one batch per step, matches shuffled results by custom id, and bills the batch price', async () => {
    const { file, dir } = scenarioFile({ horizons: [3], rollouts: 4, scripted: true });
    const out = join(dir, 'run');
    const r = await hotmess('run', file, '--batch', '--batch-poll', '10', '--out', out, '--json');
    expect(r.status).toBe(0);
    // Three steps, each batch holding one request per live rollout, every custom id valid.
    expect(server.batches.map((b) => b.customIds.length)).toEqual([4, 4, 4]);
    server.batches.forEach((b, i) => {
      for (const id of b.customIds) {
        expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
        expect(stepOf(id)).toBe(i + 1);
      }
    });
    expect(r.stderr).toMatch(/batch msgbatch_000001 \(4 requests\): in progress; processing 4, succeeded 0/);
    expect(r.stderr).toMatch(/batch msgbatch_000001 \(4 requests\): ended; processing 0, succeeded 4, errored 0, expired 0, canceled 0/);
    const all = rollouts(out);
    expect(all).toHaveLength(8);
    for (const x of all) expect(x.outcome.success).toBe(true);
    const claude = steps(out).filter((s) => s.rollout.startsWith('claude:'));
    expect(claude).toHaveLength(12);
    for (const s of claude) {
      expect(s.action).toBe(s.oracle);
      expect(s.info.costUsd).toBeCloseTo(BATCH_CALL_USD, 12);
      expect(s.info.requestId).toMatch(/^msgbatch_00000\d\/r[0-9a-f]{16}-t\d-a0$/);
    }
    const ledger = readJsonl(join(out, 'cost.jsonl')).filter((l) => l.kind === 'call');
    expect(ledger).toHaveLength(12);
    expect(ledger.reduce((s, l) => s + l.costUsd, 0)).toBeCloseTo(12 * BATCH_CALL_USD, 10);
    expect(JSON.parse(r.stdout).llm.spentUsd).toBeCloseTo(12 * BATCH_CALL_USD, 10);
    expect(readJsonl(join(out, 'batches.jsonl')).map((l) => l.batch)).toEqual(['msgbatch_000001', 'msgbatch_000002', 'msgbatch_000003']);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).batch).toBe(true);
    expect(readFileSync(join(out, 'batches.jsonl'), 'utf8')).not.toContain(SENTINEL_KEY);

    // A replay reads the cache, makes no batch, and prices the replies as the batched run did.
    const again = join(dir, 'again');
    const replay = await hotmess('run', '--replay', out, '--out', again, '--json');
    expect(replay.status).toBe(0);
    expect(server.batches).toHaveLength(3);
    expect(withoutTiming(steps(again))).toEqual(withoutTiming(steps(out)));
  });

  it('retries an errored and an expired request in the next batch, and ends a rollout in error once its retries are spent', async () => {
    const failing = new Map<string, number>();
    server.handler = (item, b) => {
      // Rollout 0 (first request of batch 1) errors once; rollout 1 expires once.
      const seen = failing.get(item.customId) ?? 0;
      if (b === 1 && failing.size < 2 && seen === 0) {
        failing.set(item.customId, 1);
        return failing.size === 1 ? { type: 'errored', error: { type: 'overloaded_error', message: 'Overloaded' } } : { type: 'expired' };
      }
      return right(item, b);
    };
    const { file, dir } = scenarioFile({ horizons: [2], rollouts: 3, agent: { retries: 1 } });
    const out = join(dir, 'run');
    const r = await hotmess('run', file, '--batch', '--batch-poll', '10', '--out', out, '--json');
    expect(r.status).toBe(0);
    expect(rollouts(out).every((x) => x.termination === 'terminated')).toBe(true);
    // The two failed step-1 requests went again, under the same custom ids, in batch 2 (with the others' step 2).
    const [b1, b2] = server.batches;
    const retried = [...failing.keys()];
    expect(b1.customIds).toEqual(expect.arrayContaining(retried));
    expect(b2.customIds).toEqual(expect.arrayContaining(retried));
    expect(b2.customIds.filter((id) => stepOf(id) === 2)).toHaveLength(1);

    // With no retries left, the rollout ends in error with the reason.
    failing.clear();
    (server.batches as unknown[]).length = 0;
    const second = scenarioFile({ horizons: [2], rollouts: 3, agent: { retries: 0 } });
    const out2 = join(second.dir, 'run');
    const r2 = await hotmess('run', second.file, '--batch', '--batch-poll', '10', '--out', out2, '--json');
    expect(r2.status).toBe(5);
    const errors = rollouts(out2).filter((x) => x.termination === 'error').map((x) => x.error);
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/anthropic batches: request r[0-9a-f]{16}-t1-a0 errored \(overloaded_error: Overloaded\) in batch msgbatch_000001 after 1 batch$/),
        expect.stringMatching(/anthropic batches: request r[0-9a-f]{16}-t1-a0 expired in batch msgbatch_000001 after 1 batch$/),
      ]),
    );
  });

  it('--dry-run --batch shows the standard and the batch price', async () => {
    const { file } = scenarioFile({ horizons: [4], rollouts: 2 });
    const plain = await hotmess('run', file, '--dry-run', '--json');
    const batch = await hotmess('run', file, '--dry-run', '--batch', '--json');
    const p = JSON.parse(plain.stdout);
    const b = JSON.parse(batch.stdout);
    expect(b.totalUsd).toBe(p.totalUsd);
    expect(b.totalBatchUsd).toBeCloseTo(p.totalUsd / 2, 10);
    const text = await hotmess('run', file, '--dry-run', '--batch');
    expect(text.stdout).toMatch(/with --batch \(Message Batches at half price\): \$/);
    expect(server.batches).toHaveLength(0);
  });

  it('checks --max-cost before each batch: stops with exit 7, then resumes without a duplicate step', async () => {
    const { file, dir } = scenarioFile({ horizons: [3], rollouts: 2 });
    const out = join(dir, 'run');
    // Two replies at the batch price pass a budget of 1.5 replies: the second batch is never submitted.
    const r = await hotmess('run', file, '--batch', '--batch-poll', '10', '--out', out, '--max-cost', String(1.5 * BATCH_CALL_USD));
    expect(r.status).toBe(7);
    expect(server.batches).toHaveLength(1);
    expect(r.stderr).toMatch(/run stopped \(cost budget of \$[0-9.]+ reached\)/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('interrupted');
    const resumed = await hotmess('run', file, '--batch', '--batch-poll', '10', '--out', out, '--resume', '--json');
    expect(resumed.status).toBe(0);
    const ids = server.batches.flatMap((b) => b.customIds);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(6);
    expect(rollouts(out).filter((x) => x.termination === 'terminated')).toHaveLength(2);
  });

  it('refuses --batch for a scenario without anthropic agents, and --batch with --replay', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, stringify({ name: 'x', environment: 'kv-sum', horizons: [2], instances: 1, rollouts: 1, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] }));
    const r = await hotmess('run', file, '--batch', '--out', join(dir, 'run'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hotmess: --batch: scenario "x" has no agent that runs through Message Batches (kind anthropic)\n');
  });
});

describe('run --batch after kill -9', () => {
  it('re-attaches to the batch in flight on --resume, reads its results, and never submits that step again', async () => {
    const { file, dir } = scenarioFile({ horizons: [3], rollouts: 3 });
    const out = join(dir, 'run');
    server.hold = true;
    const child = spawnCliDetached(['run', file, '--batch', '--batch-poll', '20', '--out', out]);
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor(() => existsSync(join(out, 'batches.jsonl')) && server.retrieves > 0, 'the first batch on disk and polled');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await exited;
    // The run's lock holder must be gone before --resume starts (its pid is checked).
    await waitFor(() => !holderAlive(out), 'the killed process to be gone');
    expect(server.batches).toHaveLength(1);
    expect(rollouts(out)).toHaveLength(0);

    server.hold = false;
    const r = await hotmess('run', file, '--batch', '--batch-poll', '10', '--out', out, '--resume', '--json');
    if (r.status !== 0) throw new Error(`resume exited ${r.status}: ${r.stderr}`);
    expect(r.stderr).toMatch(/re-attached to 1 batch of an earlier invocation: 3 replies recovered into the cache/);
    // Step 1 was held by the killed invocation's batch: only steps 2 and 3 were submitted after it.
    expect(server.batches.map((b) => b.customIds.map(stepOf))).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
    const ids = server.batches.flatMap((b) => b.customIds);
    expect(new Set(ids).size).toBe(9);
    expect(rollouts(out).every((x) => x.outcome?.success === true)).toBe(true);
    // Every reply is paid once, at the batch price, the recovered ones included.
    const ledger = readJsonl(join(out, 'cost.jsonl')).filter((l) => l.kind === 'call');
    expect(ledger).toHaveLength(9);
    expect(ledger.reduce((s, l) => s + l.costUsd, 0)).toBeCloseTo(9 * BATCH_CALL_USD, 10);
  }, 60_000);
});

describe('batch limits', () => {
  const config = () => ({ apiKey: SENTINEL_KEY, baseURL: server.url, maxRetries: 0, retryDelayMs: 10, timeoutMs: 10_000 });
  const meta = (i: number): BatchRequestMeta => ({ customId: `r${i}-t1-a1`, key: `k${i}`, agentSeed: `s${i}`, agent: 'claude', retries: 0 });
  const request = (text: string) => ({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: text }] });
  const text = (r: { message: unknown }) => ((r.message as { content: { type: string; text?: string }[] }).content[0].text);

  it('splits the pending requests of one step into batches of at most maxRequests and maxBytes, and matches every reply', async () => {
    server.handler = (item, b) => ({ type: 'succeeded', message: message(b, { text: `echo ${item.customId}` }).json });
    const batcher = new MessageBatcher({ runDir: null, pollMs: 5, maxRequests: 3 });
    batcher.expect(7);
    const signal = new AbortController().signal;
    const replies = await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.create(request('x'), meta(i), config(), signal)));
    expect(server.batches.map((b) => b.customIds.length)).toEqual([3, 3, 1]);
    expect(replies.map(text)).toEqual(Array.from({ length: 7 }, (_, i) => `echo r${i}-t1-a1`));

    // By bytes: each request here is about 1.1 kB, so a 2.5 kB limit holds two.
    (server.batches as unknown[]).length = 0;
    const bySize = new MessageBatcher({ runDir: null, pollMs: 5, maxBytes: 2500 });
    bySize.expect(5);
    const big = 'y'.repeat(1000);
    const sized = await Promise.all(Array.from({ length: 5 }, (_, i) => bySize.create(request(big), meta(i), config(), signal)));
    expect(server.batches.map((b) => b.customIds.length)).toEqual([2, 2, 1]);
    expect(sized.map(text)).toEqual(Array.from({ length: 5 }, (_, i) => `echo r${i}-t1-a1`));
    // A rollout's signal outlives its steps: no settled request may keep an abort listener on it.
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('refuses, naming it, a single request larger than one batch may be, and still sends the others', async () => {
    server.handler = (item, b) => ({ type: 'succeeded', message: message(b, { text: `echo ${item.customId}` }).json });
    const batcher = new MessageBatcher({ runDir: null, pollMs: 5, maxBytes: 600 });
    batcher.expect(2);
    const signal = new AbortController().signal;
    const huge = batcher.create(request('z'.repeat(1000)), meta(0), config(), signal);
    const small = batcher.create(request('s'), meta(1), config(), signal);
    await expect(huge).rejects.toThrow(/request r0-t1-a1 is \d+ bytes, over the 600-byte limit of one batch/);
    expect(text(await small)).toBe('echo r1-t1-a1');
    expect(server.batches.map((b) => b.customIds)).toEqual([['r1-t1-a1']]);
  });
});

void KEY_ENV;
