/**
 * A run's model calls, as its queue workers make them. Every request a
 * worker sends and settles, every reply it caches, goes on a Redis stream of
 * the run (`hotmess:calls:<run>`) as it happens; the coordinator reads the
 * stream and applies each entry to the run's one ledger, cache and budget,
 * so `--max-cost` sees each request as it is paid, as in one process.
 *
 * - A request's `sent` entry is in Redis before the request goes out (the
 *   worker flushes before each permit), so a worker killed mid-request
 *   leaves its request on the ledger: the coordinator settles it as `lost`
 *   (at the most it can have cost) once BullMQ runs the job again, or
 *   another attempt completes it.
 * - Each worker attempt of a job has a token; its entries are numbered, so
 *   an entry resent after a reconnect is applied once. A `begin` and an
 *   `end` entry frame the attempt; the coordinator commits a model job's
 *   rollout only after applying the `end` of the attempt that returned it.
 * - Cache lines also go to a list per job (`hotmess:jobcache:<job>`): an
 *   attempt that runs again after a kill re-reads what the killed one bought.
 * - Ledger lines written from an entry carry its id (`at`) and its attempt
 *   and number (`from`), and `sent` lines name the worker's request (`src`):
 *   a coordinator resumed after a crash reads after the last entry on the
 *   ledger, skips what each attempt had applied (a copy resent after a
 *   reconnect has a new id, so `at` alone would not do), appends no cache
 *   line that is in its file already (the one effect with no ledger line),
 *   and settles requests the crashed one saw sent.
 * - Requests the coordinator settles as lost itself (a worker died or ended
 *   its attempt with them open) go on the workers' spend counter at their
 *   bound, as the workers put theirs.
 * - When the coordinator stops the run (the budget, a halt, Ctrl-C), it sets
 *   `hotmess:stop:<run>`: workers send no request of the run after they see
 *   it (each permit checks it), and give up rollouts waiting between
 *   requests; a resumed coordinator clears it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import { errorText, HotmessError } from '../core/index.js';
import { readLedger, roundUsd, runtimeHost, type LlmRuntime, type RuntimeCall, type RuntimeHost, type RuntimeLink } from '../llm/index.js';
import { bounded, REDIS_WAIT_MS } from './bounded.js';
import { RESULT_TTL_SECONDS } from './jobs.js';
import type { QueueUrl } from './redis.js';

export const callsKey = (run: string): string => `hotmess:calls:${run}`;
export const stopKey = (run: string): string => `hotmess:stop:${run}`;
/** `--max-cost` of the coordinator's invocation, and what the workers have paid against it (replies, and lost requests at their bound). */
export const budgetKey = (run: string): string => `hotmess:budget:${run}`;
export const spentKey = (run: string): string => `hotmess:spent:${run}`;
export const jobCacheKey = (job: string): string => `hotmess:jobcache:${job}`;

/** How a worker's job that gave up for a stop of its run fails (worker.ts): the reason follows, then `); `. */
export const STOPPED_BY_RUN = 'the run was stopped (';

/** An attempt's own events, beside its runtime's calls. */
export type AttemptEvent = { readonly op: 'begin' } | { readonly op: 'end'; readonly outcome: 'returned' | 'stopped' | 'failed' };
export type StreamCall = RuntimeCall | AttemptEvent;

/** A worker's side: the calls of one attempt of one job, into the run's stream. */
export class AttemptCalls {
  readonly token = randomBytes(8).toString('hex');
  private n = 0;
  private last: Promise<unknown> = Promise.resolve();
  /** Each request's bound (what a lost reply counts at). */
  private readonly bounds = new Map<number, number | null>();
  private failure: unknown = null;

  constructor(
    private readonly redis: Redis,
    private readonly run: string,
    private readonly job: string,
  ) {}

  /** Queue one entry (commands on one connection keep their order); `flush` waits for it. */
  record(call: StreamCall): void {
    const fail = (e: unknown) => void (this.failure ??= e);
    const added = this.redis.xadd(callsKey(this.run), '*', 'j', this.job, 'a', this.token, 'n', String(++this.n), 'c', JSON.stringify(call));
    added.catch(fail);
    this.last = added;
    if (call.op === 'sent') this.bounds.set(call.id, call.maxUsd);
    // The spend against the budget, where every worker's next permit reads it: a reply at its cost, a lost reply at its bound.
    const usd = call.op === 'reply' ? call.cost : call.op === 'lost' ? this.bounds.get(call.id) : undefined;
    if (usd !== undefined && usd !== null && usd > 0) {
      const spent = this.redis.multi().incrbyfloat(spentKey(this.run), usd).expire(spentKey(this.run), RESULT_TTL_SECONDS).exec();
      spent.catch(fail);
      this.last = spent;
    }
    if (call.op === 'cache') {
      const kept = this.redis.multi().rpush(jobCacheKey(this.job), JSON.stringify([call.file, call.line])).expire(jobCacheKey(this.job), RESULT_TTL_SECONDS).exec();
      kept.catch(fail);
      this.last = kept;
    }
  }

  /** Every entry so far is in Redis: before a request goes out, and before the job returns. */
  async flush(): Promise<void> {
    await bounded(
      this.last.catch(() => undefined),
      REDIS_WAIT_MS,
      'recording model calls',
    );
    if (this.failure) throw new HotmessError('network', `cannot record model calls in Redis (${errorText(this.failure)})`);
  }
}

/** Cache lines earlier attempts of a job bought, by cache file name (a re-run attempt re-reads them instead of paying again). */
export async function earlierCacheLines(redis: Redis, job: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const raw of await bounded(redis.lrange(jobCacheKey(job), 0, -1), REDIS_WAIT_MS, 'reading cached replies')) {
    const entry = safeParse(raw);
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') continue;
    out.set(entry[0], (out.get(entry[0]) ?? '') + entry[1] + '\n');
  }
  return out;
}

/** The stop key's reason; else the budget's, once the workers' spend has reached it (the coordinator may not have read that far yet). */
const STOPPED = `
local why = redis.call('GET', KEYS[1])
if why then return why end
local budget = redis.call('GET', KEYS[2])
if budget and tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(budget) then return 'cost budget of $' .. budget .. ' reached' end
return false`;

/** Why the run was stopped, or null: checked before every request a worker sends. */
export async function runStopped(redis: Redis, run: string): Promise<string | null> {
  const why = await bounded(redis.eval(STOPPED, 3, stopKey(run), budgetKey(run), spentKey(run)), REDIS_WAIT_MS, 'checking whether the run was stopped');
  return typeof why === 'string' ? why : null;
}

interface Attempt {
  readonly job: string;
  readonly link: RuntimeLink;
}

export interface RunCallsOptions {
  readonly url: QueueUrl;
  /** The coordinator's connection (deletes, the stop key). */
  readonly connection: Redis;
  readonly run: string;
  readonly runtime: LlmRuntime;
  /** `--max-cost` (USD) of this invocation, enforced by the workers too, before each request, from the spend they record in Redis. */
  readonly maxCostUsd?: number;
  /** The run's stop rule (budget, halt, replay miss), checked after each batch of entries. */
  readonly shouldStop: () => string | null;
  /** The run is stopping for this reason (first time only). */
  readonly onStop: (why: string) => void;
  /** The stream could not be read: the run stops with this error. */
  readonly onLost: (e: unknown) => void;
}

const PAGE = 500;

/** A coordinator's side: reads the run's stream into its runtime. */
export class RunCalls {
  private readonly reader: Redis;
  private readonly host: RuntimeHost;
  /** Attempts in hand: begun, not ended or retired. */
  private readonly attempts = new Map<string, Attempt>();
  /**
   * Attempt token → the last entry number applied, ended attempts included
   * (a copy of an entry resent after a reconnect is skipped). Rebuilt on
   * resume from the ledger lines' `from`, so it survives a kill -9.
   */
  private readonly applied = new Map<string, number>();
  /** Attempts an earlier coordinator of the run applied entries of (their tokens are on the ledger). */
  private readonly recovered = new Set<string>();
  /** Reading the entries that were in the stream when this coordinator started: an earlier one may have applied some of them. */
  private backlog = false;
  /** Job → the token of its attempt whose `end` said it returned a result. */
  private readonly returned = new Map<string, string>();
  /** The last entry applied. */
  private cursor = '0-0';
  private chain: Promise<void> = Promise.resolve();
  private stopping: string | null = null;
  private stopWrite: Promise<unknown> = Promise.resolve();
  private closed = false;
  private looping: Promise<void> | null = null;

  constructor(private readonly o: RunCallsOptions) {
    this.reader = new Redis(o.url.options);
    this.reader.on('error', () => undefined);
    this.host = runtimeHost(o.runtime);
  }

  get stopped(): string | null {
    return this.stopping;
  }

  /** Pick up where the ledger ends (a resume), apply what workers did meanwhile, then read as entries come. */
  async start(): Promise<void> {
    // A stop of an earlier invocation no longer holds.
    await bounded(this.o.connection.del(stopKey(this.o.run)), REDIS_WAIT_MS, 'clearing the run’s stop');
    this.recover();
    this.backlog = true;
    await this.pull(null);
    this.backlog = false;
    // The workers' side of the budget starts from what this invocation counts so far (the backlog just applied).
    const r = this.o.connection;
    const budget = this.o.maxCostUsd;
    await bounded<unknown>(
      budget === undefined
        ? r.del(budgetKey(this.o.run), spentKey(this.o.run))
        : r.multi().set(budgetKey(this.o.run), String(budget), 'EX', RESULT_TTL_SECONDS).set(spentKey(this.o.run), String(this.o.runtime.meter.budgetUsd), 'EX', RESULT_TTL_SECONDS).exec(),
      REDIS_WAIT_MS,
      'setting the budget',
    );
    this.looping = this.loop();
  }

  /** The stop: workers send no more requests of this run. */
  stop(why: string): void {
    if (this.stopping) return;
    this.stopping = why;
    this.stopWrite = bounded(this.o.connection.set(stopKey(this.o.run), why, 'EX', RESULT_TTL_SECONDS), REDIS_WAIT_MS, 'stopping the workers').catch(this.o.onLost);
    this.o.onStop(why);
  }

  /**
   * A model job's result arrived: apply every entry so far (its worker
   * flushed them before returning), and say whether the attempt that
   * returned it is known. If so, the job's other attempts (workers that
   * stopped answering) are settled: their requests in flight as lost.
   */
  async settle(job: string, attempt: string | null): Promise<boolean> {
    await this.pull(null);
    // The result names its attempt; else its `end` entry does (it may have been applied, and removed, before a coordinator crash).
    const token = attempt ?? this.returned.get(job);
    if (token === undefined) return false;
    this.returned.delete(job);
    for (const [t, a] of this.attempts) if (a.job === job && t !== token) this.retire(t, 'the queue worker running it stopped answering; another attempt of its job finished');
    this.o.connection.del(jobCacheKey(job)).catch(() => undefined);
    // What they can have cost may have reached the budget.
    this.checkStop();
    return true;
  }

  /**
   * A model job failed on its worker: apply what its attempt recorded (it
   * flushed before failing), so a budget its workers saw reached is seen
   * here too, and the run stops for it rather than failing. Returns true
   * when the worker gave the job up for a stop that no longer holds: an
   * earlier invocation's (Ctrl-C, then `--resume` while the attempt still
   * waited for its reply), which this one cleared; the job is to run again.
   */
  async failed(reason: string): Promise<boolean> {
    await this.pull(null);
    if (this.stopping || this.closed) return false;
    const own = this.o.shouldStop();
    if (own) {
      this.stop(own);
      return false;
    }
    if (!reason.startsWith(STOPPED_BY_RUN)) return false;
    // Asked as the worker asked: the stop key (this invocation's only) and the budget against what the workers have paid.
    const why = await runStopped(this.o.connection, this.o.run);
    if (why === null) return true;
    this.stop(why);
    return false;
  }

  /**
   * Stop reading. After a stop, first give the attempts in hand up to
   * `settleMs` to end, so what they paid is on the ledger; requests still
   * unsettled then stay `sent` (a resume settles them from the stream).
   * `finished`: the run is complete, and its stream goes.
   */
  async close(o: { finished: boolean; settleMs: number }): Promise<void> {
    if (this.stopping) {
      await this.stopWrite;
      const until = Date.now() + o.settleMs;
      while (this.attempts.size > 0 && Date.now() < until) await this.pull(250).catch(() => undefined);
    }
    this.closed = true;
    await this.looping;
    for (const t of [...this.attempts.keys()]) this.retire(t, null);
    if (o.finished && !this.stopping) await bounded(this.o.connection.del(callsKey(this.o.run), stopKey(this.o.run), budgetKey(this.o.run), spentKey(this.o.run)), REDIS_WAIT_MS, 'removing the run’s calls').catch(() => undefined);
    this.reader.disconnect();
  }

  /** Stop reading at once (the server is gone). */
  abandon(): void {
    this.closed = true;
    for (const t of [...this.attempts.keys()]) this.retire(t, null);
    this.reader.disconnect();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.pull(250);
      } catch (e) {
        if (!this.closed) this.o.onLost(e);
        return;
      }
    }
  }

  /** One read at a time (blocking for `blockMs`, or not at all), then every page that is already there. */
  private pull(blockMs: number | null): Promise<void> {
    const next = this.chain.then(() => this.read(blockMs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async read(blockMs: number | null): Promise<void> {
    for (let block = blockMs; ; block = null) {
      if (this.closed && block !== null) return;
      const args: (string | number)[] = ['COUNT', PAGE, ...(block !== null ? ['BLOCK', block] : []), 'STREAMS', callsKey(this.o.run), this.cursor];
      const reply = (await bounded(this.reader.call('XREAD', ...args), (block ?? 0) + REDIS_WAIT_MS, 'reading the run’s model calls')) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      for (const [id, fields] of entries) {
        this.apply(id, fields);
        this.cursor = id;
        holdForTest(id, fields);
      }
      if (entries.length > 0) {
        // Applied (the ledger lines carry their ids): they need not stay.
        this.o.connection.xdel(callsKey(this.o.run), ...entries.map((e) => e[0])).catch(() => undefined);
        this.checkStop();
      }
      if (entries.length < PAGE) return;
    }
  }

  private checkStop(): void {
    if (this.stopping || this.closed) return;
    const why = this.o.shouldStop();
    if (why) this.stop(why);
  }

  private apply(id: string, fields: string[]): void {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    const call = safeParse(f.c ?? '') as StreamCall | null;
    const n = Number(f.n);
    if (!call || typeof call.op !== 'string' || !f.j || !f.a || !Number.isInteger(n)) return;
    // Applied already: a copy resent after a reconnect, or (after a resume) an entry the ledger says was applied.
    if (n <= (this.applied.get(f.a) ?? 0)) return;
    this.applied.set(f.a, n);
    // A cache line a killed coordinator appended after its last ledger line (the window before it removed the entry).
    if (call.op === 'cache' && (this.backlog || this.recovered.has(f.a)) && this.inCache(call.file, call.line)) return;
    const attempt = this.attempt(f.a, f.j);
    const ledger = this.o.runtime.ledger;
    if (ledger) ledger.source = { at: id, from: `${f.a}/${n}`, ...(call.op === 'sent' ? { src: `${f.j}/${f.a}/${call.id}` } : {}) };
    try {
      switch (call.op) {
        case 'begin':
          // BullMQ runs a job again only once its worker stopped renewing the lock: that worker is gone.
          for (const [t, a] of this.attempts) if (a.job === f.j && t !== f.a) this.retire(t, 'the queue worker running it stopped answering; its job was run again');
          return;
        case 'end':
          if (call.outcome === 'returned' && !this.returned.has(f.j)) this.returned.set(f.j, f.a);
          return this.retire(f.a, 'its queue worker ended the attempt without settling it');
        default:
          attempt.link.receive(call);
      }
    } finally {
      if (ledger) ledger.source = null;
    }
  }

  private attempt(token: string, job: string): Attempt {
    let a = this.attempts.get(token);
    if (!a) this.attempts.set(token, (a = { job, link: this.host.attach(() => undefined) }));
    return a;
  }

  /**
   * An attempt is over: its requests still in flight are settled as lost
   * (`lostReason`), and what they can have cost goes on the workers' spend
   * counter too (no worker will: theirs died or gave up), so every worker's
   * check before a request sees it, as the ledger and this budget do.
   */
  private retire(token: string, lostReason: string | null): void {
    const a = this.attempts.get(token);
    if (!a) return;
    this.attempts.delete(token);
    const meter = this.o.runtime.meter;
    const before = meter.budgetUsd;
    a.link.retire(lostReason);
    const lost = roundUsd(meter.budgetUsd - before);
    if (lost > 0) this.o.connection.multi().incrbyfloat(spentKey(this.o.run), lost).expire(spentKey(this.o.run), RESULT_TTL_SECONDS).exec().catch(this.o.onLost);
  }

  /** Whether this exact line is in the run's cache file already. */
  private inCache(file: string, line: string): boolean {
    const dir = this.o.runtime.cache.dir;
    if (!dir || basename(file) !== file) return false;
    const path = join(dir, file);
    return existsSync(path) && ('\n' + readFileSync(path, 'utf8')).includes('\n' + line + '\n');
  }

  /**
   * A resumed coordinator: the ledger says which entries were applied (the
   * last `at`) and which requests were sent and never settled (`src`); those
   * are taken over, so a reply that arrives now settles its `sent` line.
   */
  private recover(): void {
    const ledger = this.o.runtime.ledger;
    if (!ledger) return;
    const open = new Map<string, { invocation: number; id: number; maxUsd: number | null }>();
    const srcOf = new Map<string, string>();
    for (const l of readLedger(ledger.path)) {
      if (l.kind !== 'end' && l.at !== undefined && streamIdAfter(l.at, this.cursor)) this.cursor = l.at;
      if (l.kind !== 'end' && l.from !== undefined) {
        const slash = l.from.lastIndexOf('/');
        const token = l.from.slice(0, slash);
        this.applied.set(token, Math.max(this.applied.get(token) ?? 0, Number(l.from.slice(slash + 1))));
        this.recovered.add(token);
      }
      if (l.kind === 'sent' && l.src !== undefined) {
        open.set(l.src, { invocation: l.invocation, id: l.id, maxUsd: l.maxUsd });
        srcOf.set(`${l.invocation}/${l.id}`, l.src);
      } else if (l.kind === 'reply' || l.kind === 'refused' || l.kind === 'lost') {
        const src = srcOf.get(`${l.invocation}/${l.id}`);
        if (src !== undefined) open.delete(src);
      }
    }
    for (const [src, t] of open) {
      const [job, token, id] = src.split('/');
      this.attempt(token, job).link.adopt(Number(id), this.o.runtime.meter.adopt(t.invocation, t.id, t.maxUsd));
    }
  }
}

/** The attempt a model job's result names (the worker puts it where the result's calls go), or null. */
export function returnedAttempt(calls: readonly unknown[]): string | null {
  for (const c of calls) {
    const r = c as { op?: unknown; attempt?: unknown } | null;
    if (r?.op === 'returned' && typeof r.attempt === 'string') return r.attempt;
  }
  return null;
}

/** Whether stream id `a` ("ms-seq") comes after `b`. */
export function streamIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

/**
 * Tests only (`HOTMESS_TEST_HOLD_AFTER_APPLY=<op>:<k>`): once the k-th entry
 * of that op is applied, say so on stderr and block this thread for good,
 * before the entries are removed from the stream, so a test can kill -9 the
 * coordinator exactly there.
 */
const HOLD = /^([a-z-]+):(\d+)$/.exec(process.env.HOTMESS_TEST_HOLD_AFTER_APPLY ?? '');
let held = 0;
function holdForTest(id: string, fields: string[]): void {
  if (!HOLD) return;
  const c = fields[fields.indexOf('c') + 1] ?? '';
  if (!c.startsWith(`{"op":"${HOLD[1]}"`) || ++held !== Number(HOLD[2])) return;
  process.stderr.write(`hotmess-test: holding after applying ${id}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
