/**
 * A process-wide limit on model requests in flight, with adaptive backoff.
 *
 * Every HTTP attempt (the SDK's own retries included) takes a slot first.
 * The limit is additive-increase / multiplicative-decrease: a 429 or 529
 * halves it (at most once per cooldown, so a burst of refusals is one
 * signal) and pauses every new attempt until the server's `retry-after`;
 * each success adds 1/limit back, up to the configured maximum. This is the
 * effectful shell: it reads the clock and sets timers, and logs nothing.
 */

export interface LimiterOptions {
  /** Upper bound on requests in flight; Infinity leaves it to the run's concurrency. */
  readonly max?: number;
  /** Pause after a refusal without `retry-after`, in ms. */
  readonly defaultPauseMs?: number;
  readonly now?: () => number;
}

export interface LimiterStats {
  /** 429/529 replies seen. */
  throttled: number;
  /** Times the limit was cut. */
  cuts: number;
  /** Most requests ever in flight at once. */
  peak: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
}

const COOLDOWN_MS = 1000;

/** What an API client needs of a limiter: a slot per attempt, and what the server said. */
export interface Limiter {
  acquire(signal?: AbortSignal | null): Promise<void>;
  release(): void;
  overloaded(retryAfterMs: number | null): void;
  succeeded(): void;
}

export class RequestLimiter implements Limiter {
  private maxLimit: number;
  private current: number;
  private active = 0;
  private pausedUntil = 0;
  private lastCut = -Infinity;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly defaultPauseMs: number;
  private readonly now: () => number;
  readonly stats: LimiterStats = { throttled: 0, cuts: 0, peak: 0 };

  constructor(opts: LimiterOptions = {}) {
    this.maxLimit = opts.max ?? Infinity;
    this.current = this.maxLimit;
    this.defaultPauseMs = opts.defaultPauseMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Set the maximum (e.g. from `--max-requests`, Infinity for none) and start the limit there. */
  configure(max: number): void {
    if (!(max >= 1)) throw new RangeError(`request limit must be at least 1, got ${max}`);
    this.maxLimit = max;
    this.current = max;
    this.lastCut = -Infinity;
    this.pump();
  }

  /** Requests allowed in flight right now. */
  get limit(): number {
    return Math.max(1, Math.floor(this.current));
  }

  get inFlight(): number {
    return this.active;
  }

  /** Milliseconds until new attempts may start (0 when not paused). */
  get pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  /** Wait for a slot. Rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal | null): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.queue.length === 0 && this.canStart(this.now())) {
      this.start();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = signal
        ? {
            resolve,
            reject,
            signal,
            onAbort: () => {
              const i = this.queue.indexOf(waiter);
              if (i >= 0) this.queue.splice(i, 1);
              reject(abortError(signal));
            },
          }
        : { resolve, reject };
      if (signal && waiter.onAbort) signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
    this.pump();
  }

  /** A 429/529: cut the limit (once per cooldown) and pause new attempts. */
  overloaded(retryAfterMs: number | null): void {
    const now = this.now();
    this.stats.throttled++;
    const pause = retryAfterMs !== null && retryAfterMs > 0 ? retryAfterMs : this.defaultPauseMs;
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    if (now - this.lastCut >= Math.max(COOLDOWN_MS, pause)) {
      this.lastCut = now;
      this.stats.cuts++;
      const base = Math.min(this.current, Math.max(this.active, 1));
      this.current = Math.max(1, Math.floor(base / 2));
    }
    this.pump();
  }

  /** A successful reply: grow the limit back additively. */
  succeeded(): void {
    if (this.current < this.maxLimit) this.current = Math.min(this.maxLimit, this.current + 1 / this.current);
    this.pump();
  }

  private canStart(now: number): boolean {
    return this.active < this.limit && now >= this.pausedUntil;
  }

  private start(): void {
    this.active++;
    if (this.active > this.stats.peak) this.stats.peak = this.active;
  }

  /**
   * Start what may start, then make sure a waiter left in the queue will be
   * woken: by a release (something is in flight) or by a timer at the end
   * of the pause. The decision and the timer read one clock value: reading
   * it twice let a millisecond tick between "paused, cannot start" and "the
   * pause is over, no timer needed", which stranded the queue with nothing
   * in flight and nothing scheduled (the event loop emptied: Node exit 13).
   */
  private pump(): void {
    const now = this.now();
    while (this.queue.length > 0 && this.canStart(now)) {
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      this.start();
      w.resolve();
    }
    // Not paused with waiters left means the limit is full (limit >= 1): a release will pump.
    if (this.queue.length === 0 || this.timer || now >= this.pausedUntil) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, this.pausedUntil - now);
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** Milliseconds a reply asks us to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: { get(name: string): string | null }, now: () => number = Date.now): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(parseFloat(ms))) return Math.max(0, parseFloat(ms));
  const ra = headers.get('retry-after');
  if (ra === null) return null;
  const s = parseFloat(ra);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now()) : null;
}

const SHARED = new Map<string, RequestLimiter>();

/** The one limiter per provider in this process, shared by every rollout and run. */
export function sharedLimiter(provider: string): RequestLimiter {
  let l = SHARED.get(provider);
  if (!l) {
    l = new RequestLimiter();
    SHARED.set(provider, l);
  }
  return l;
}
