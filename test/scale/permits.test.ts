/**
 * The queue-wide request rate (src/queue/permits.ts) on a real redis-server:
 * permits come at most `max` per `duration` across two holders (two workers'
 * processes in real use), and a permit whose events were never heard (a
 * QueueEvents reader that started late, as a fresh worker under load can)
 * is still granted, from the job's state. Before that fallback, a missed
 * event left the request, its job and the coordinator waiting for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueUrl, RequestPermits } from '../../src/queue/index.js';
import { REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

describe.skipIf(!REDIS_SERVER)('request permits', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('grants at most max per duration across holders', async () => {
    const url = parseQueueUrl(redis.url);
    const a = new RequestPermits(url, 'rate', { max: 4, duration: 500 });
    const b = new RequestPermits(url, 'rate', { max: 4, duration: 500 });
    try {
      const t0 = Date.now();
      const at: number[] = [];
      await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquire().then(() => at.push(Date.now() - t0))));
      at.sort((x, y) => x - y);
      // 12 permits at 4 per 500 ms: the last needs two windows after the first.
      expect(at[11]).toBeGreaterThanOrEqual(2 * 500 - 100);
      for (const t of at) expect(at.filter((u) => u >= t && u < t + 500).length).toBeLessThanOrEqual(2 * 4);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('grants a permit whose events were missed, from the job’s state', async () => {
    const permits = new RequestPermits(parseQueueUrl(redis.url), 'deaf', { max: 10, duration: 1000 });
    try {
      // Hear nothing: as if the events reader had started after the permit job ran.
      const events = (permits as unknown as { events: { removeAllListeners(e: string): void } }).events;
      events.removeAllListeners('active');
      events.removeAllListeners('completed');
      const got = await Promise.race([permits.acquire().then(() => 'granted'), new Promise((r) => setTimeout(() => r('still waiting'), 5000))]);
      expect(got).toBe('granted');
    } finally {
      await permits.close();
    }
  });
});
