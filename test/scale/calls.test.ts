/**
 * A run's call stream (src/queue/calls.ts) on a real redis-server: what a
 * worker records counts against the budget where every worker's next
 * permit reads it (a reply at its cost, a lost reply at its bound), so a
 * worker refuses a request once the budget is reached even before the
 * coordinator has read that far; the stop key wins over the budget; and an
 * attempt's cache lines are kept for the attempt that runs its job again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { AttemptCalls, budgetKey, earlierCacheLines, runStopped, stopKey, streamIdAfter } from '../../src/queue/index.js';
import { ZERO_USAGE } from '../../src/llm/index.js';
import { REDIS_SERVER, REDIS_SKIP_NOTE, startRedis, type RedisServer } from '../helpers/redis.js';

if (!REDIS_SERVER) console.warn(REDIS_SKIP_NOTE);

describe('stream ids', () => {
  it('orders by time, then sequence, as numbers', () => {
    expect(streamIdAfter('1700000000001-0', '1700000000000-9')).toBe(true);
    expect(streamIdAfter('1700000000000-10', '1700000000000-9')).toBe(true);
    expect(streamIdAfter('1700000000000-9', '1700000000000-9')).toBe(false);
    expect(streamIdAfter('0-0', '1-0')).toBe(false);
  });
});

describe.skipIf(!REDIS_SERVER)('a run’s call stream on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.port, '127.0.0.1');
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('counts replies at their cost and lost replies at their bound against the budget, before the coordinator reads them', async () => {
    const run = 'budget';
    await redis.set(budgetKey(run), '0.01');
    const calls = new AttemptCalls(redis, run, 'hm-job');
    calls.record({ op: 'begin' });
    calls.record({ op: 'sent', id: 1, model: 'm', maxUsd: 0.02 });
    calls.record({ op: 'reply', id: 1, usage: ZERO_USAGE, cost: 0.004 });
    await calls.flush();
    expect(await runStopped(redis, run)).toBeNull();
    calls.record({ op: 'sent', id: 2, model: 'm', maxUsd: 0.007 });
    calls.record({ op: 'lost', id: 2, reason: 'dropped' });
    await calls.flush();
    // 0.004 + 0.007 ≥ 0.01.
    expect(await runStopped(redis, run)).toBe('cost budget of $0.01 reached');
    // The coordinator's stop, once set, is the reason.
    await redis.set(stopKey(run), 'interrupted');
    expect(await runStopped(redis, run)).toBe('interrupted');
    // Every entry is on the stream, numbered, in order.
    const entries = await redis.xrange(`hotmess:calls:${run}`, '-', '+');
    expect(entries.map(([, f]) => [f[5], JSON.parse(f[7]).op])).toEqual([
      ['1', 'begin'],
      ['2', 'sent'],
      ['3', 'reply'],
      ['4', 'sent'],
      ['5', 'lost'],
    ]);
  });

  it('keeps an attempt’s cache lines for the next attempt of its job', async () => {
    const first = new AttemptCalls(redis, 'cache', 'hm-cached');
    first.record({ op: 'cache', file: 'a.jsonl', line: '{"key":"k1"}' });
    first.record({ op: 'cache', file: 'a.jsonl', line: '{"key":"k2"}' });
    first.record({ op: 'cache', file: 'b.jsonl', line: '{"key":"k3"}' });
    await first.flush();
    const lines = await earlierCacheLines(redis, 'hm-cached');
    expect(lines.get('a.jsonl')).toBe('{"key":"k1"}\n{"key":"k2"}\n');
    expect(lines.get('b.jsonl')).toBe('{"key":"k3"}\n');
    expect((await earlierCacheLines(redis, 'hm-other')).size).toBe(0);
  });
});
