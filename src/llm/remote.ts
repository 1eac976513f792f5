/**
 * Model-backed rollouts in worker processes (`run --workers N`): the SDK
 * runs in the worker (one core cannot carry its CPU at high concurrency),
 * but the run's one request limiter, its cost ledger (and so `--max-cost`)
 * and its response cache files stay with the process that writes the run.
 *
 * A worker's runtime (`remoteRuntime`) asks that process for a slot before
 * every HTTP attempt and tells it what the server said; it records every
 * request on the run's meter as it is sent and settled, and sends its new
 * cache lines to be appended there. It reads cache files itself (read only:
 * a resumed rollout re-reads what it bought). The host side (`runtimeHost`)
 * applies all of it to the run's runtime, in the order it was sent, so a
 * reply's ledger line still precedes its cache line. A worker that dies
 * gives back its slots, and its requests in flight are settled as lost.
 */
import { basename, join } from 'node:path';
import { isOsError } from '../core/index.js';
import type { CacheLog } from './cache.js';
import { AppendLog } from './append-log.js';
import type { Limiter } from './limiter.js';
import { CostMeter, type LedgerWriter, type RequestTicket } from './meter.js';
import { LlmRuntime, type RunHalt } from './runtime.js';
import type { TokenUsage } from './usage.js';

type Provider = 'anthropic' | 'openai';

/** What a worker's runtime starts from (sent with the scenario). */
export interface RemoteInit {
  readonly cacheDir: string | null;
  readonly replayFrom: string | null;
  readonly batchPricing: boolean;
  readonly halted: RunHalt | null;
}

/** Worker → host. */
export type RuntimeCall =
  | { readonly op: 'acquire'; readonly id: number; readonly provider: Provider }
  | { readonly op: 'release' | 'succeeded'; readonly provider: Provider }
  | { readonly op: 'overloaded'; readonly provider: Provider; readonly retryAfterMs: number | null }
  | { readonly op: 'sent'; readonly id: number; readonly model: string; readonly maxUsd: number | null }
  | { readonly op: 'reply'; readonly id: number; readonly usage: TokenUsage; readonly cost: number | null }
  | { readonly op: 'refused'; readonly id: number; readonly status: number }
  | { readonly op: 'lost'; readonly id: number; readonly reason: string }
  | { readonly op: 'call'; readonly usage: TokenUsage; readonly cost: number | null }
  | { readonly op: 'hit' }
  | { readonly op: 'cache'; readonly file: string; readonly line: string }
  | { readonly op: 'cache-close'; readonly file: string }
  | { readonly op: 'halt'; readonly halt: RunHalt }
  | { readonly op: 'miss'; readonly what: string }
  | { readonly op: 'notice'; readonly line: string };

/** Host → worker. */
export type RuntimeNews = { readonly op: 'grant'; readonly id: number } | { readonly op: 'halted'; readonly halt: RunHalt };

/** A slot from the host's limiter per attempt. */
class RemoteLimiter implements Limiter {
  constructor(
    private readonly provider: Provider,
    private readonly send: (m: RuntimeCall) => void,
    private readonly grants: Map<number, () => void>,
    private readonly nextId: () => number,
  ) {}

  acquire(signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    const id = this.nextId();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // The slot may still be granted: give it straight back then.
        this.grants.set(id, () => this.release());
        reject(signal!.reason ?? new Error('aborted'));
      };
      this.grants.set(id, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ op: 'acquire', id, provider: this.provider });
    });
  }
  release(): void {
    this.send({ op: 'release', provider: this.provider });
  }
  overloaded(retryAfterMs: number | null): void {
    this.send({ op: 'overloaded', provider: this.provider, retryAfterMs });
  }
  succeeded(): void {
    this.send({ op: 'succeeded', provider: this.provider });
  }
}

/** The meter of a worker: every request goes on the run's ledger, in the host. */
class RemoteMeter extends CostMeter {
  constructor(private readonly send: (m: RuntimeCall) => void) {
    const ledger: LedgerWriter = {
      sent: (id, model, maxUsd) => send({ op: 'sent', id, model, maxUsd }),
      reply: (id, usage, cost) => send({ op: 'reply', id, usage, cost }),
      refused: (id, status) => send({ op: 'refused', id, status }),
      lost: (id, reason) => send({ op: 'lost', id, reason }),
      call: (usage, cost) => send({ op: 'call', usage, cost }),
    };
    super(ledger);
  }
  override recordHit(): void {
    super.recordHit();
    this.send({ op: 'hit' });
  }
}

class WorkerRuntime extends LlmRuntime {
  constructor(
    init: RemoteInit,
    private readonly send: (m: RuntimeCall) => void,
    grants: Map<number, () => void>,
    readCacheFile?: (file: string) => string | null,
  ) {
    let ids = 0;
    const nextId = () => ++ids;
    super({
      cacheDir: init.cacheDir,
      replayFrom: init.replayFrom,
      batchPricing: init.batchPricing,
      limiters: { anthropic: new RemoteLimiter('anthropic', send, grants, nextId), openai: new RemoteLimiter('openai', send, grants, nextId) },
      meter: new RemoteMeter(send),
      openCacheLog: (file): CacheLog => ({
        append: (line) => send({ op: 'cache', file: basename(file), line }),
        close: () => send({ op: 'cache-close', file: basename(file) }),
      }),
      onNotice: (line) => send({ op: 'notice', line }),
      readCacheFile,
    });
    if (init.halted) super.halt(init.halted);
  }
  override halt(h: RunHalt): void {
    const first = this.halted === null;
    super.halt(h);
    if (first) this.send({ op: 'halt', halt: h });
  }
  override miss(what: string): void {
    super.miss(what);
    this.send({ op: 'miss', what });
  }
  /** The host says the run is halted (another worker met the fault). */
  adopt(h: RunHalt): void {
    super.halt(h);
  }
}

/**
 * A worker process's runtime, drawing on the host's; `receive` takes the
 * host's messages. `readCacheFile` stands in for reading the run's cache
 * files (a queue worker on another machine has them from its job).
 */
export function remoteRuntime(init: RemoteInit, send: (m: RuntimeCall) => void, readCacheFile?: (file: string) => string | null): { runtime: LlmRuntime; receive(m: RuntimeNews): void } {
  const grants = new Map<number, () => void>();
  const runtime = new WorkerRuntime(init, send, grants, readCacheFile);
  return {
    runtime,
    receive(m) {
      if (m.op === 'halted') return runtime.adopt(m.halt);
      const grant = grants.get(m.id);
      grants.delete(m.id);
      grant?.();
    },
  };
}

/** A cache file a worker may name: one rollout's, in the run's cache directory. */
const CACHE_FILE = /^[A-Za-z0-9_-]{1,128}\.jsonl$/;

export interface RuntimeHost {
  init(): RemoteInit;
  /** A new worker: its calls go to `receive`, in order; `detach` once it is gone. */
  attach(send: (m: RuntimeNews) => void): RuntimeLink;
}

export interface RuntimeLink {
  receive(m: RuntimeCall): void;
  /** The worker is gone: its slots go back, its requests in flight are settled as lost. */
  detach(): void;
  /** As detach, with the reason its requests in flight were lost; null leaves them unsettled (sent, fate unknown: a later invocation may settle them). */
  retire(lostReason: string | null): void;
  /** A request of this worker that an earlier invocation recorded as sent (a resumed queue coordinator): the worker's request id and its ticket. */
  adopt(id: number, ticket: RequestTicket): void;
  /** Requests of this worker sent and not yet settled. */
  readonly open: number;
}

/** The run's side: applies workers' calls to the run's runtime. */
export function runtimeHost(runtime: LlmRuntime): RuntimeHost {
  const links = new Set<(m: RuntimeNews) => void>();
  const limiter = (p: Provider): Limiter => (p === 'anthropic' ? runtime.limiter : runtime.openaiLimiter);
  /** A write to the run's ledger or cache; a full disk halts the run as it would in this process. */
  const onDisk = (write: () => void) => {
    try {
      write();
    } catch (e) {
      if (!isOsError(e)) throw e;
      runtime.halt({ code: 'log', reason: e.message });
    }
  };
  return {
    init: () => ({ cacheDir: runtime.cache.dir, replayFrom: runtime.cache.replayFrom, batchPricing: runtime.batchPricing, halted: runtime.halted }),
    attach(send) {
      links.add(send);
      const held: Record<Provider, number> = { anthropic: 0, openai: 0 };
      const tickets = new Map<number, RequestTicket>();
      const logs = new Map<string, AppendLog>();
      let detached = false;
      const apply = (m: RuntimeCall) => {
        switch (m.op) {
          case 'acquire':
            return void limiter(m.provider)
              .acquire()
              .then(() => {
                if (detached) return limiter(m.provider).release();
                held[m.provider]++;
                send({ op: 'grant', id: m.id });
              });
          case 'release':
            if (held[m.provider] > 0) held[m.provider]--;
            return limiter(m.provider).release();
          case 'overloaded':
            return limiter(m.provider).overloaded(m.retryAfterMs);
          case 'succeeded':
            return limiter(m.provider).succeeded();
          case 'sent':
            return onDisk(() => void tickets.set(m.id, runtime.meter.sent(m.model, m.maxUsd)));
          case 'reply':
          case 'refused':
          case 'lost': {
            const t = tickets.get(m.id);
            tickets.delete(m.id);
            if (!t) return;
            return onDisk(() => (m.op === 'reply' ? t.replied(m.usage, m.cost) : m.op === 'refused' ? t.refused(m.status) : t.lost(m.reason)));
          }
          case 'call':
            return onDisk(() => runtime.meter.recordCall(m.usage, m.cost));
          case 'hit':
            return runtime.meter.recordHit();
          case 'cache': {
            const dir = runtime.cache.dir;
            if (!dir || !CACHE_FILE.test(m.file)) return;
            let log = logs.get(m.file);
            if (!log) logs.set(m.file, (log = new AppendLog(join(dir, m.file))));
            return onDisk(() => log.append(m.line));
          }
          case 'cache-close':
            logs.get(m.file)?.close();
            return void logs.delete(m.file);
          case 'halt':
            return runtime.halt(m.halt);
          case 'miss':
            return runtime.miss(m.what);
          case 'notice':
            return runtime.notice(m.line);
        }
      };
      const retire = (lostReason: string | null) => {
        detached = true;
        links.delete(send);
        for (const p of ['anthropic', 'openai'] as const) for (; held[p] > 0; held[p]--) limiter(p).release();
        if (lostReason !== null) for (const t of tickets.values()) onDisk(() => t.lost(lostReason));
        tickets.clear();
        for (const log of logs.values()) log.close();
        logs.clear();
      };
      return {
        receive(m) {
          const before = runtime.halted;
          apply(m);
          // Tell every worker at once: their rollouts in flight would only meet the same fault.
          if (!before && runtime.halted) for (const l of links) l({ op: 'halted', halt: runtime.halted });
        },
        detach: () => retire('the worker process running it died'),
        retire,
        adopt(id, ticket) {
          tickets.set(id, ticket);
        },
        get open() {
          return tickets.size;
        },
      };
    },
  };
}
