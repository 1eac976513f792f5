/**
 * Backoff between attempts of one request, provider-neutral. A server's
 * `retry-after` wins when it gives one (up to a minute); otherwise the wait
 * doubles from `baseMs` up to 8 s, with up to 25% jitter so rollouts that
 * failed together do not retry together. Timing only: nothing logged
 * depends on it.
 */
export const MAX_BACKOFF_MS = 8000;
const MAX_RETRY_AFTER_MS = 60_000;

export function backoffMs(retry: number, retryAfterMs: number | null, baseMs: number, random: () => number = Math.random): number {
  if (retryAfterMs !== null && retryAfterMs >= 0 && retryAfterMs <= MAX_RETRY_AFTER_MS) return retryAfterMs;
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** retry) * (1 - 0.25 * random());
}

/** Wait `ms`, or reject with the abort reason as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
