/**
 * One request rate for a whole queue (`queueRateLimit` in the scenario):
 * every model request a worker makes, on any machine, first takes a permit,
 * and permits are jobs of a queue of the run's own that BullMQ's queue
 * limiter releases at most `max` per `duration` ms across every worker
 * (its limiter is global: a counter in Redis, checked as each job starts).
 * A permit is an empty job; the request waits until some worker has
 * started it. The cost is a few Redis round trips per request, small
 * beside a model call.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { HotmessError } from '../core/index.js';
import { bounded, REDIS_WAIT_MS } from './bounded.js';
import type { QueueUrl } from './redis.js';

/** The permit queue of a run (BullMQ names may not hold ":"; run ids are hex). */
export const permitQueueName = (run: string): string => `hotmess-permits-${run}`;

/** How often a permit not yet heard of is looked up (a missed event costs at most this). */
const PERMIT_CHECK_MS = 250;

export interface RateLimit {
  readonly max: number;
  readonly duration: number;
}

export class RequestPermits {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly worker: Worker;
  private readonly waiting = new Map<string, () => void>();
  private readonly ready: Promise<unknown>;

  constructor(url: QueueUrl, run: string, limit: RateLimit) {
    const name = permitQueueName(run);
    const connection = url.options as ConnectionOptions;
    this.queue = new Queue(name, { connection });
    this.events = new QueueEvents(name, { connection });
    // Empty work: starting the job is the permit. The limiter paces the starts, queue-wide.
    this.worker = new Worker(name, async () => undefined, { connection, limiter: { max: limit.max, duration: limit.duration }, concurrency: 64 });
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    this.worker.on('error', () => undefined);
    this.events.on('active', ({ jobId }) => this.grant(jobId));
    this.events.on('completed', ({ jobId }) => this.grant(jobId));
    this.ready = Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady(), this.worker.waitUntilReady()]);
  }

  /**
   * Wait for a permit for one request (rejects when `signal` aborts). The grant comes from QueueEvents, but
   * an event can be missed: a stream reader starts at "new events only", and
   * a permit started before its first read (a fresh worker under load) would
   * never be heard of. So the job's state is also checked now and then: once
   * it is active, or gone (completed permits are removed), it was granted.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    await bounded(this.ready, REDIS_WAIT_MS, 'opening the permit queue');
    signal?.throwIfAborted();
    const id = `permit-${randomUUID()}`;
    let onAbort: (() => void) | undefined;
    let fail: (e: unknown) => void = () => undefined;
    const granted = new Promise<void>((resolve, reject) => {
      this.waiting.set(id, resolve);
      fail = (e) => {
        this.waiting.delete(id);
        reject(e);
      };
      onAbort = () => fail(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    granted.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await bounded(this.queue.add('permit', null, { jobId: id, removeOnComplete: true, removeOnFail: true }), REDIS_WAIT_MS, 'asking for a request permit');
      // Liveness: a server that stops answering the look-ups ends the wait with the network exit code.
      let answered = Date.now();
      const check = async (): Promise<void> => {
        if (!this.waiting.has(id)) return;
        const state = await this.queue.getJobState(id).then(
          (st) => ((answered = Date.now()), st),
          () => 'waiting',
        );
        if (state === 'active' || state === 'completed' || state === 'unknown') this.grant(id);
        else if (Date.now() - answered > REDIS_WAIT_MS) fail(new HotmessError('network', `waiting for a request permit: no answer from Redis within ${REDIS_WAIT_MS / 1000} s`));
        else if (this.waiting.has(id)) timer = setTimeout(() => void check(), PERMIT_CHECK_MS);
      };
      timer = setTimeout(() => void check(), PERMIT_CHECK_MS);
      await granted;
    } catch (e) {
      this.waiting.delete(id);
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private grant(id: string): void {
    const resolve = this.waiting.get(id);
    this.waiting.delete(id);
    resolve?.();
  }

  async close(): Promise<void> {
    await Promise.all([this.worker.close(), this.events.close(), this.queue.close()]).catch(() => undefined);
  }
}

/**
 * Remove a run's permit queue from Redis (its meta, id, events and limiter
 * keys), once no worker holds it: the coordinator does this when the run
 * ends, so a finished run leaves nothing of its rate behind.
 */
export async function removePermitQueue(url: QueueUrl, run: string): Promise<void> {
  const client = new Redis(url.options);
  client.on('error', () => undefined);
  const queue = new Queue(permitQueueName(run), { connection: client });
  queue.on('error', () => undefined);
  try {
    await queue.obliterate({ force: true });
    // The limiter's window counter outlives obliterate (it would expire by itself within one duration).
    await client.del(queue.keys.limiter);
  } finally {
    await queue.close().catch(() => undefined);
    client.disconnect();
  }
}
