/**
 * Redis connections for the queue: the URL a user types, a reachability
 * check that fails in one line, and a watch that notices when the server
 * is gone for good (rather than letting every command wait forever).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { HotmessError } from '../core/index.js';

export interface QueueUrl {
  /** As the user typed it, without any password, for messages. */
  readonly shown: string;
  readonly options: RedisOptions;
}

/** `redis://[user:password@]HOST:PORT[/DB]`. */
export function parseQueueUrl(url: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HotmessError('usage', `--queue: "${url}" is not a URL; expected redis://HOST:PORT[/DB]`);
  }
  if (u.protocol !== 'redis:') throw new HotmessError('usage', `--queue: expected a redis:// URL, got "${u.protocol}"`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new HotmessError('usage', `--queue: database must be a number, got "/${db}"`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return {
    shown: `redis://${u.hostname}:${port}${db ? `/${db}` : ''}`,
    options: {
      host,
      port,
      db: db ? Number(db) : 0,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      // BullMQ needs blocking commands to wait; the watch below decides when the server is lost.
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    },
  };
}

const errorText = (e: unknown): string => {
  const err = e as { code?: string; message?: string } | null;
  return err?.code ?? (err?.message ?? String(e)).split('\n')[0];
};

/** The one line for a server gone for good: `why` is the last connection error seen. */
export const lostConnection = (q: QueueUrl, why: unknown): HotmessError => new HotmessError('network', `${q.shown}: lost the connection to Redis (${errorText(why)})`);

/** Connect once, or fail in one line with the network exit code. */
export async function checkReachable(q: QueueUrl, timeoutMs = 3000): Promise<void> {
  const client = new Redis({ ...q.options, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let first: unknown = null;
  client.on('error', (e) => (first ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new HotmessError('network', `${q.shown}: cannot reach Redis (${errorText(first ?? e)}); is redis-server running there?`);
  } finally {
    client.disconnect();
  }
}

/**
 * Watch the server: `onLost` is called once when it has been unreachable
 * for `graceMs` (a restart within the grace is ridden out).
 */
export function watchRedis(q: QueueUrl, onLost: (e: HotmessError) => void, graceMs = 5000): { stop(): void } {
  let downSince: number | null = null;
  let last: unknown = 'connection closed';
  let stopped = false;
  const client = new Redis({ ...q.options, connectTimeout: 1000, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  client.on('error', (e) => (last = e));
  const timer = setInterval(() => {
    client.ping().then(
      () => (downSince = null),
      () => undefined,
    );
    if (client.status !== 'ready') downSince ??= Date.now();
    if (downSince !== null && Date.now() - downSince >= graceMs && !stopped) {
      stopped = true;
      clearInterval(timer);
      client.disconnect();
      onLost(lostConnection(q, last));
    }
  }, 250);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      client.disconnect();
    },
  };
}
