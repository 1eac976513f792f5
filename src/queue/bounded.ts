/**
 * Every wait on Redis in the queue path has a bound: ioredis queues a
 * command while its server is away (BullMQ needs that for its blocking
 * reads), so a command can otherwise wait for ever. A wait that passes its
 * bound ends in one line with the network exit code.
 */
import { HotmessError } from '../core/index.js';

/** The longest a single Redis command of the queue path may take before the run stops with the network exit code. */
export const REDIS_WAIT_MS = 15_000;

export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HotmessError('network', `${what}: no answer from Redis within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
