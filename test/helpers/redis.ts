/**
 * A real redis-server for the queue tests: started on 127.0.0.1 on a free
 * port in a temporary directory, no persistence, stopped by its PID. No
 * mock: BullMQ runs Lua scripts on the server, which a mock would not.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The redis-server binary, or null (the queue tests then skip with one line). */
export const REDIS_SERVER: string | null = (() => {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
})();

export const REDIS_SKIP_NOTE = 'queue tests skipped: redis-server not found (install it: apt-get install redis-server; CI does)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on this port (one that wants a password answers NOAUTH; `loading`: one still reading its dataset counts). */
export const answers = (port: number, loading = false): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve((loading ? /^(\+PONG|-NOAUTH|-LOADING)/ : /^(\+PONG|-NOAUTH)/).test(d.toString()));
    });
    s.once('error', () => resolve(false));
  });

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stop the server (SIGTERM, or SIGKILL to simulate a crash) and wait for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Start redis-server; `port` reuses a port (a restart after a crash);
 * `password` makes it require AUTH (the URL carries it); `dir` is a data
 * directory the caller owns and keeps (a dump.rdb in it is loaded at start);
 * `args` are more server options; `loading`: return as soon as it answers,
 * even while it is still loading its dataset.
 */
export async function startRedis(port?: number, o: { password?: string; dir?: string; args?: readonly string[]; loading?: boolean } = {}): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error(REDIS_SKIP_NOTE);
  const p = port ?? (await freePort());
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hotmess-redis-'));
  const proc: ChildProcess = spawn(REDIS_SERVER, ['--port', String(p), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...(o.password ? ['--requirepass', o.password] : []), ...(o.args ?? [])], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const until = Date.now() + 10_000;
  while (!(await answers(p, o.loading))) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error(`redis-server did not start on port ${p}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: p,
    url: `redis://${o.password ? `:${encodeURIComponent(o.password)}@` : ''}127.0.0.1:${p}`,
    pid: proc.pid!,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, signal);
      await exited;
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
