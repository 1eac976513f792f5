/**
 * Lockstep Message Batches (`run --batch`). Every rollout of an `anthropic`
 * agent is live from step 1; each asks for its step's reply here instead of
 * calling the Messages API. Once every live rollout has asked (or none has
 * asked for `quietMs`), the pending requests go out as one batch (one per
 * endpoint and key), the batch is polled with backoff until it ends, and
 * each result is matched to its request by custom id, in whatever order the
 * results come. A request that errored, expired or was canceled goes into the
 * next batch, up to its `retries`; then its rollout fails.
 *
 * Crash safety: each batch's id and requests (custom id, cache key, rollout)
 * are appended to `RUN/batches.jsonl` before it is polled. After kill -9,
 * `reattach` reads the file, polls the batches whose replies are not yet in
 * the response cache, and writes their results there (paid at the batch
 * price in the ledger), so the resumed rollouts find those steps in the cache
 * and nothing a live batch holds is submitted again.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError, type Json, type Waiting } from '../../core/index.js';
import type { ResponseCache, RolloutCache } from '../cache.js';
import type { CostMeter } from '../meter.js';
import { costUsd, type Price } from '../prices.js';
import { usageFromAnthropic } from '../usage.js';
import { createBatchClient, type BatchClient, type BatchCounts, type BatchResult, type BatchStatus } from './batch-client.js';
import type { AnthropicConfig, MessagesReply } from './client.js';

export const BATCHES_FILE = 'batches.jsonl';

/** The Message Batches API's limits on one batch (requests, and bytes of the create body). */
export const BATCH_MAX_REQUESTS = 100_000;
export const BATCH_MAX_BYTES = 256 * 1024 * 1024;
/** Room left in `maxBytes` for the create body's own framing. */
const BODY_FRAME_BYTES = 64;

/** Where a batched request comes from: its custom id, its response-cache key and its rollout. */
export interface BatchRequestMeta {
  readonly customId: string;
  readonly key: string;
  readonly agentSeed: string;
  readonly agent: string;
  /** Further batches an errored, expired or canceled request may go into. */
  readonly retries: number;
}

/** One line of `RUN/batches.jsonl`. */
export interface BatchLine {
  readonly batch: string;
  readonly requests: readonly { readonly customId: string; readonly key: string; readonly agentSeed: string; readonly agent: string }[];
}

/** A custom id from the rollout id and the step (`^[a-zA-Z0-9_-]{1,64}$`, as the API requires). */
export function batchCustomId(rolloutId: string, t: number, attempt: number): string {
  return `r${createHash('sha256').update(rolloutId).digest('hex').slice(0, 16)}-t${t}-a${attempt}`;
}

export interface BatcherOptions {
  readonly runDir: string | null;
  /** First poll after this long; each later one waits 1.5 times longer, up to `pollMaxMs`. */
  readonly pollMs?: number;
  readonly pollMaxMs?: number;
  /** Submit what is pending when no request came for this long (rollouts that never ask). */
  readonly quietMs?: number;
  /** Told of every batch status seen: created, then each poll. */
  readonly onStatus?: (status: BatchStatus, requests: number) => void;
  /** A reason not to submit the next batch (the cost budget), else null. */
  readonly beforeSubmit?: () => string | null;
  /**
   * The API's limits on one batch: 100,000 requests and 256 MB of request
   * body. A step with more pending requests goes out as several batches.
   */
  readonly maxRequests?: number;
  readonly maxBytes?: number;
  /** Only for tests and benchmarks: the client for a config (default: the SDK). */
  readonly client?: (config: AnthropicConfig) => Promise<BatchClient>;
}

/** `attempts`: the batches this request has been in. */
interface Pending extends Waiting<MessagesReply> {
  readonly request: Record<string, unknown>;
  readonly meta: BatchRequestMeta;
  readonly config: AnthropicConfig;
  readonly group: string;
  readonly signal: AbortSignal;
  settled: boolean;
  readonly detach: () => void;
}

export class MessageBatcher {
  private pending: Pending[] = [];
  private expected = Infinity;
  private retired = 0;
  private quiet: ReturnType<typeof setTimeout> | null = null;
  private readonly clients = new Map<string, Promise<BatchClient>>();
  /** Batches created by this invocation. */
  readonly created: string[] = [];
  /** Why batching stopped (the budget), once it did: every later request fails with it. */
  stopped: string | null = null;
  private readonly pollMs: number;
  private readonly pollMaxMs: number;
  private readonly quietMs: number;
  private readonly maxRequests: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: BatcherOptions) {
    this.pollMs = opts.pollMs ?? 2000;
    this.maxRequests = opts.maxRequests ?? BATCH_MAX_REQUESTS;
    this.maxBytes = opts.maxBytes ?? BATCH_MAX_BYTES;
    this.pollMaxMs = opts.pollMaxMs ?? 120_000;
    this.quietMs = opts.quietMs ?? 1000;
  }

  /** The rollouts this invocation will run through batches (lockstep waits for all of them). */
  expect(rollouts: number): void {
    this.expected = rollouts;
    this.maybeFlush();
  }

  /** A batched rollout ended: lockstep no longer waits for it. */
  retire(): void {
    this.retired++;
    this.maybeFlush();
  }

  private get live(): number {
    return this.expected - this.retired;
  }

  /** The reply to one request, through the next batch. */
  create(request: Record<string, unknown>, meta: BatchRequestMeta, config: AnthropicConfig, signal: AbortSignal): Promise<MessagesReply> {
    if (this.stopped) return Promise.reject(new HotmessError('budget', this.stopped));
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<MessagesReply>((resolve, reject) => {
      const onAbort = () => this.settle(p, () => reject(signal.reason ?? new Error('aborted')));
      // The listener goes when the request settles: a rollout's signal lives for all its steps.
      const p: Pending = { request, meta, config, group: groupOf(config), signal, resolve, reject, attempts: 0, settled: false, detach: () => signal.removeEventListener('abort', onAbort) };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push(p);
      this.maybeFlush();
    });
  }

  private settle(p: Pending, how: () => void): void {
    if (p.settled) return;
    p.settled = true;
    p.detach();
    how();
    const i = this.pending.indexOf(p);
    if (i >= 0) {
      this.pending.splice(i, 1);
      this.maybeFlush();
    }
  }

  private maybeFlush(): void {
    if (this.pending.length === 0) return;
    if (this.pending.length >= this.live) return this.flush();
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = setTimeout(() => {
      this.quiet = null;
      this.flush();
    }, this.quietMs);
  }

  private flush(): void {
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
    const take = this.pending;
    this.pending = [];
    if (take.length === 0) return;
    const reason = this.opts.beforeSubmit?.() ?? null;
    if (reason) {
      this.stopped = reason;
      for (const p of take) this.settle(p, () => p.reject(new HotmessError('budget', `${reason}: this step's batch was not submitted`)));
      return;
    }
    const groups = new Map<string, Pending[]>();
    for (const p of take) {
      const g = groups.get(p.group);
      if (g) g.push(p);
      else groups.set(p.group, [p]);
    }
    for (const g of groups.values()) for (const chunk of withinLimits(g, this.maxRequests, this.maxBytes)) void this.runBatch(chunk);
  }

  private client(config: AnthropicConfig): Promise<BatchClient> {
    const id = groupOf(config);
    let c = this.clients.get(id);
    if (!c) {
      c = (this.opts.client ?? createBatchClient)(config);
      c.catch(() => this.clients.delete(id));
      this.clients.set(id, c);
    }
    return c;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    let results: Map<string, BatchResult>;
    let id: string;
    try {
      const client = await this.client(batch[0].config);
      const created = await client.create(batch.map((p) => ({ custom_id: p.meta.customId, params: p.request as Json })));
      id = created.id;
      this.created.push(id);
      for (const p of batch) p.attempts++;
      // On disk before the first poll: a crash from here on re-attaches instead of re-submitting.
      this.record({ batch: id, requests: batch.map((p) => ({ customId: p.meta.customId, key: p.meta.key, agentSeed: p.meta.agentSeed, agent: p.meta.agent })) });
      this.opts.onStatus?.(created, batch.length);
      const open = () => batch.some((p) => !p.settled);
      const status = await this.waitEnded(client, created, batch.length, open);
      if (!status) return; // every request was abandoned (Ctrl-C)
      results = await client.results(id);
    } catch (e) {
      for (const p of batch) this.settle(p, () => p.reject(e));
      return;
    }
    for (const p of batch) {
      if (p.settled) continue;
      const r = results.get(p.meta.customId);
      if (r?.type === 'succeeded') {
        this.settle(p, () => p.resolve({ requestId: `${id}/${p.meta.customId}`, message: r.message }));
        continue;
      }
      const why = r ? r.reason : 'missing from the results';
      if (p.attempts > p.meta.retries) {
        this.settle(p, () => p.reject(new HotmessError('network', `anthropic batches: request ${p.meta.customId} ${why} in batch ${id} after ${p.attempts} batch${p.attempts === 1 ? '' : 'es'}`)));
      } else this.pending.push(p); // into the next batch
    }
    this.maybeFlush();
  }

  /** Poll until the batch ends; null when nothing waits for it any more. */
  private async waitEnded(client: BatchClient, first: BatchStatus, n: number, open: () => boolean): Promise<BatchStatus | null> {
    let status = first;
    let wait = this.pollMs;
    let last = countsKey(first.counts);
    while (!status.ended) {
      await sleepWhile(wait, open);
      if (!open()) return null;
      wait = Math.min(Math.round(wait * 1.5), this.pollMaxMs);
      status = await client.retrieve(status.id);
      const key = countsKey(status.counts);
      if (key !== last || status.ended) this.opts.onStatus?.(status, n);
      last = key;
    }
    return status;
  }

  private record(line: BatchLine): void {
    if (this.opts.runDir) appendFileSync(join(this.opts.runDir, BATCHES_FILE), JSON.stringify(line) + '\n');
  }

  /**
   * Resume: for every batch in `RUN/batches.jsonl` whose replies are not all
   * in the response cache, wait for it to end and put its successful results
   * in the cache, paying for them in the meter. Returns the batches read and
   * the replies recovered.
   */
  async reattach(cache: ResponseCache, meter: CostMeter, target: (agent: string) => { config: AnthropicConfig; price: Price | null } | null): Promise<{ batches: number; recovered: number }> {
    const lines = this.opts.runDir ? readBatchLines(join(this.opts.runDir, BATCHES_FILE)) : [];
    const files = new Map<string, RolloutCache>();
    const fileOf = (seed: string) => {
      let f = files.get(seed);
      if (!f) files.set(seed, (f = cache.forRollout(seed)));
      return f;
    };
    let batches = 0;
    let recovered = 0;
    try {
      for (const line of lines) {
        const missing = line.requests.filter((r) => fileOf(r.agentSeed).get(r.key) === undefined);
        if (missing.length === 0) continue;
        const t = target(missing[0].agent);
        if (!t) continue;
        batches++;
        const client = await this.client(t.config);
        const status = await this.waitEnded(client, await client.retrieve(line.batch), line.requests.length, () => true);
        if (!status) continue;
        const results = await client.results(line.batch);
        for (const r of missing) {
          const res = results.get(r.customId);
          if (res?.type !== 'succeeded') continue;
          fileOf(r.agentSeed).put(r.key, { requestId: `${line.batch}/${r.customId}`, message: res.message } as unknown as Json);
          const usage = usageFromAnthropic((res.message as { usage?: unknown } | null)?.usage);
          const price = target(r.agent)?.price ?? null;
          meter.recordCall(usage, price ? costUsd(price, usage) : null);
          recovered++;
        }
      }
    } finally {
      for (const f of files.values()) f.close();
    }
    return { batches, recovered };
  }
}

/** The lines of a batches file; a torn last line (a crash mid-append) is skipped. */
export function readBatchLines(file: string): BatchLine[] {
  if (!existsSync(file)) return [];
  const out: BatchLine[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.length === 0) return;
    try {
      const l = JSON.parse(text) as BatchLine;
      if (typeof l.batch !== 'string' || !Array.isArray(l.requests)) throw new Error('shape');
      out.push(l);
    } catch {
      if (i >= lines.length - 2) return;
      throw new HotmessError('log', `${file}:${i + 1}: corrupt batch line (expected {"batch", "requests"})`);
    }
  });
  return out;
}

/**
 * Cut one endpoint's pending requests into batches the API accepts: at most
 * `maxRequests` each, and a create body of at most `maxBytes`. A single
 * request larger than `maxBytes` alone is refused here, with its custom id,
 * rather than sent to fail as a whole batch.
 */
function withinLimits(group: Pending[], maxRequests: number, maxBytes: number): Pending[][] {
  const out: Pending[][] = [];
  let chunk: Pending[] = [];
  let bytes = BODY_FRAME_BYTES;
  for (const p of group) {
    // Each item is `{"custom_id":…,"params":…}` plus a comma in the body's array.
    const size = Buffer.byteLength(JSON.stringify(p.request)) + Buffer.byteLength(p.meta.customId) + 32;
    if (size + BODY_FRAME_BYTES > maxBytes) {
      p.settled = true;
      p.detach();
      p.reject(new HotmessError('agent', `anthropic batches: request ${p.meta.customId} is ${size} bytes, over the ${maxBytes}-byte limit of one batch`));
      continue;
    }
    if (chunk.length > 0 && (chunk.length >= maxRequests || bytes + size > maxBytes)) {
      out.push(chunk);
      chunk = [];
      bytes = BODY_FRAME_BYTES;
    }
    chunk.push(p);
    bytes += size;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

const groupOf = (c: AnthropicConfig): string => createHash('sha256').update(`${c.apiKey}\n${c.baseURL ?? ''}\n${c.maxRetries}\n${c.timeoutMs}\n${c.httpClient ?? 'node'}`).digest('hex');

const countsKey = (c: BatchCounts): string => `${c.processing}/${c.succeeded}/${c.errored}/${c.canceled}/${c.expired}`;

/** Sleep `ms`, waking early (checked every 50 ms) once `keep()` turns false. */
async function sleepWhile(ms: number, keep: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (keep() && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
}
