/**
 * The queue's link for result blobs (src/queue/blob-link.ts) against a real
 * redis-server: what it stores, ioredis reads back byte for byte (and the
 * other way round), at every size around a socket read, on the URL's
 * database with its password; a server restart within the grace is ridden
 * out, a server gone for good and a server that answers garbage are one
 * line each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotmessError } from '../../src/core/index.js';
import { BlobLink, ReusedBuffers } from '../../src/queue/blob-link.js';
import { parseQueueUrl } from '../../src/queue/index.js';
import { freePort, REDIS_SERVER, startRedis, type RedisServer } from '../helpers/redis.js';

/** Bytes no two sizes share a prefix of, so a misplaced chunk shows. */
const pattern = (size: number, salt: number): Buffer => {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + salt + (i >> 16)) & 255;
  return b;
};

describe('buffers reused for result blobs', () => {
  it('hands back a free buffer big enough, else a new one with room to spare, and keeps a few', () => {
    const pool = new ReusedBuffers(2);
    const a = pool.take(1000);
    expect(a.length).toBe(1250);
    pool.give(a);
    expect(pool.take(1200)).toBe(a);
    pool.give(a);
    const b = pool.take(2000);
    expect(b).not.toBe(a);
    pool.give(b);
    pool.give(pool.take(10));
    pool.give(Buffer.alloc(1));
    expect(pool.take(1500)).toBe(b);
    expect(pool.take(1)).toBe(a);
    expect(pool.take(1)).not.toBe(a);
  });
});

describe.skipIf(!REDIS_SERVER)('the result-blob link on a real redis-server', () => {
  let redis: RedisServer;
  let io: Redis;
  const PASSWORD = 'p@ss word';

  beforeAll(async () => {
    redis = await startRedis(undefined, { password: PASSWORD });
    io = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD, db: 2 });
  });
  afterAll(async () => {
    io?.disconnect();
    await redis?.stop();
  });

  it('stores and reads back blobs of every size around a socket read, with AUTH, on the URL database', async () => {
    const link = new BlobLink(parseQueueUrl(`${redis.url}/2`));
    try {
      const sizes = [0, 1, 2, 65_535, 65_536, 65_537, 200_000, 3_000_000];
      for (const [k, size] of sizes.entries()) {
        const blob = pattern(size, k);
        await link.set(`b${size}`, blob, 60);
        expect((await io.getBuffer(`b${size}`))!.equals(blob)).toBe(true);
        expect(await io.ttl(`b${size}`)).toBeGreaterThan(50);
        expect((await link.get(`b${size}`))!.equals(blob)).toBe(true);
      }
      // Into a buffer of the caller's (the coordinator reuses them): the blob is a view of it.
      const spare = Buffer.alloc(4_000_000, 0xee);
      const sizes2: number[] = [];
      const viaSpare = await link.get('b3000000', (size) => (sizes2.push(size), spare));
      expect(sizes2).toEqual([3_000_002]);
      expect(viaSpare!.buffer).toBe(spare.buffer);
      expect(viaSpare!.equals(pattern(3_000_000, 7))).toBe(true);
      // Written by ioredis, read by the link; several replies in one read come back in order.
      await io.set('x', pattern(70_000, 9));
      const got = await Promise.all(['b1', 'x', 'missing', 'b65536', 'b0'].map((k) => link.get(k)));
      expect(got.map((b) => b?.length ?? null)).toEqual([1, 70_000, null, 65_536, 0]);
      expect(got[1]!.equals(pattern(70_000, 9))).toBe(true);
      await link.del('x');
      expect(await io.exists('x')).toBe(0);
      // A reply that says no is one line, and the link goes on.
      await io.lpush('list', 'a');
      await expect(link.get('list')).rejects.toThrow(/^redis:\/\/127\.0\.0\.1:\d+\/2: WRONGTYPE/);
      expect((await link.get('b2'))!.equals(pattern(2, 2))).toBe(true);
    } finally {
      link.close();
    }
  });

  it('refuses a wrong password in one line', async () => {
    const link = new BlobLink(parseQueueUrl(`redis://:wrong@127.0.0.1:${redis.port}`));
    try {
      await expect(link.get('b1')).rejects.toThrow(/^redis:\/\/127\.0\.0\.1:\d+: WRONGPASS/);
    } finally {
      link.close();
    }
  });

  it('rides out a server restart within the grace, and gives one line when the server stays gone', async () => {
    const server = await startRedis();
    const link = new BlobLink(parseQueueUrl(server.url), 1500);
    let again: RedisServer | null = null;
    try {
      await link.set('k', pattern(10, 1), 60);
      await server.stop('SIGKILL');
      const restarted = new Promise<RedisServer>((resolve) => setTimeout(() => resolve(startRedis(server.port)), 400));
      // No persistence: the restarted server is empty, and the link finds that out rather than failing.
      expect(await link.get('k')).toBeNull();
      again = await restarted;
      await link.set('k', pattern(10, 2), 60);
      await again.stop('SIGKILL');
      const t0 = Date.now();
      const lost = await link.get('k').catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(HotmessError);
      expect((lost as HotmessError).code).toBe('network');
      expect((lost as Error).message).toMatch(/^redis:\/\/127\.0\.0\.1:\d+: lost the connection to Redis \(ECONNREFUSED\)$/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    } finally {
      link.close();
      await again?.stop();
    }
  });

  it('waits while a restarted server loads its dataset (-LOADING) within the grace, and gives one line past it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotmess-redis-loading-'));
    let server = await startRedis(undefined, { dir });
    const short = new BlobLink(parseQueueUrl(server.url), 300);
    const patient = new BlobLink(parseQueueUrl(server.url), 20_000);
    try {
      // A dataset on disk that takes ~2 s to load: 2000 keys at 1 ms each (a server option meant for tests like this one).
      const seed = new Redis({ port: server.port, host: '127.0.0.1' });
      await seed.eval("for i = 1, 2000 do redis.call('SET', 'k' .. i, 'v' .. i) end return 1", 0);
      await seed.save();
      seed.disconnect();
      await server.stop();
      server = await startRedis(server.port, { dir, loading: true, args: ['--key-load-delay', '1000', '--loading-process-events-interval-bytes', '1024'] });
      // A raw PING (ioredis itself waits for the load to end before it sends anything).
      const first = await new Promise<string>((resolve, reject) => {
        const s = connect(server.port, '127.0.0.1', () => s.write('PING\r\n'));
        s.once('data', (d) => (s.destroy(), resolve(d.toString())));
        s.once('error', reject);
      });
      expect(first).toMatch(/^-LOADING /);
      const refused = await short.get('k1').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HotmessError);
      expect((refused as HotmessError).code).toBe('network');
      expect((refused as Error).message).toMatch(/^redis:\/\/127\.0\.0\.1:\d+: the server did not become ready within 0\.3 s \(LOADING Redis is loading the dataset in memory\)$/);
      // The patient link gets its answer once the dataset is in: nothing was lost, nothing failed.
      expect((await patient.get('k2000'))!.toString()).toBe('v2000');
      await patient.set('after', pattern(100_000, 3), 60);
      expect((await patient.get('after'))!.equals(pattern(100_000, 3))).toBe(true);
    } finally {
      short.close();
      patient.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('gives one line, at once, when the server answers garbage', async () => {
    const port = await freePort();
    const liar: Server = createServer((s) => s.on('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((r) => liar.listen(port, '127.0.0.1', r));
    const link = new BlobLink(parseQueueUrl(`redis://127.0.0.1:${port}`), 10_000);
    try {
      const t0 = Date.now();
      await expect(link.get('k')).rejects.toThrow(/^redis:\/\/127\.0\.0\.1:\d+: not a Redis reply: "HTTP\/1\.1 400 Bad Request"$/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      link.close();
      await new Promise((r) => liar.close(r));
    }
  });
});
