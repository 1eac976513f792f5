/**
 * One writer per run directory. `RUN/.lock` is created with O_EXCL and holds
 * the holder's pid, host and command; a second `run`, `--resume`, `fork` or
 * `import --force` on the same directory is refused with one line naming the
 * holder. A lock whose pid is gone on this host (kill -9, power loss) is
 * stale and taken over; a lock from another host is never guessed about.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HotmessError, fromOsError, writeAll } from '../core/index.js';

export const LOCK_FILE = '.lock';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

/**
 * The lock file is padded with whitespace (still valid JSON) to this size:
 * space held back so that on a full disk the final manifest can still be
 * written after `freeReserve`.
 */
const RESERVE_BYTES = 16 * 1024;

export interface RunLock {
  readonly path: string;
  /** Give back the reserved space (a full disk), keeping the lock. Best effort, idempotent. */
  freeReserve(): void;
  /** Remove the lock (idempotent). Also done at process exit if forgotten. */
  release(): void;
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string') return { pid: h.pid, host: h.host, command: String(h.command ?? 'hotmess'), since: String(h.since ?? '?') };
  } catch {
    // Unreadable or torn (a crash between create and write): decided by age below.
  }
  return null;
}

/**
 * Whether process `pid` runs on this machine (EPERM: it exists, owned by
 * someone else). A zombie (killed, not yet reaped: common in containers whose
 * init does not reap) holds nothing.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill
  }
}

/** How long a holder on this host may take to finish dying (a kill -9 in progress) before it counts as alive. */
const DYING_MS = 2000;

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Gone on this host, waiting out a holder that is still being torn down (kill -9 of a process group races the next start). */
function isStale(h: LockHolder | null): boolean {
  if (h === null || h.host !== hostname() || h.pid === process.pid) return false;
  for (const until = Date.now() + DYING_MS; ; sleepSync(50)) {
    if (!alive(h.pid)) return true;
    if (Date.now() > until) return false;
  }
}

/**
 * Move a stale lock aside, checking it is still the one judged stale: two
 * processes taking over the same stale lock cannot both win.
 */
function breakStale(path: string, judged: LockHolder): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readHolder(aside);
  if (moved && (moved.pid !== judged.pid || moved.since !== judged.since)) {
    // We moved a fresh lock another process had just taken: put it back.
    try {
      linkSync(aside, path);
    } catch {
      // A third process holds it now; either way we do not.
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Take the run directory's lock for `command` (e.g. "hotmess run --resume"),
 * or throw a usage error naming the holder. `dir` must exist.
 */
export function lockRun(dir: string, command: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw fromOsError(e, path, 'create the lock');
      const holder = readHolder(path);
      if (isStale(holder)) {
        breakStale(path, holder!);
        continue;
      }
      throw new HotmessError('usage', describeHeld(dir, path, holder));
    }
    try {
      const text = JSON.stringify(me) + '\n';
      writeAll(fd, text.padEnd(RESERVE_BYTES, ' '), path);
    } catch (e) {
      rmSync(path, { force: true });
      throw e;
    } finally {
      closeSync(fd);
    }
    return holdLock(path, me, Buffer.byteLength(JSON.stringify(me) + '\n'));
  }
  throw new HotmessError('usage', describeHeld(dir, path, readHolder(path)));
}

function describeHeld(dir: string, path: string, h: LockHolder | null): string {
  if (h === null) return `${dir}: in use by another hotmess process (${path} exists but is unreadable; if no hotmess process uses this run, delete ${path})`;
  const where = h.host === hostname() ? `pid ${h.pid}` : `pid ${h.pid} on host ${h.host}`;
  const hint = h.host === hostname() ? 'wait for it to finish or stop it' : `if that process is gone, delete ${path}`;
  return `${dir}: in use by "${h.command}" (${where}, since ${h.since}); ${hint}, then try again`;
}

function holdLock(path: string, me: LockHolder, contentBytes: number): RunLock {
  let held = true;
  const freeReserve = () => {
    try {
      if (held) truncateSync(path, contentBytes);
    } catch {
      // Nothing to give back.
    }
  };
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never remove one a later process took over.
    const h = readHolder(path);
    if (h && h.pid === me.pid && h.since === me.since) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release, freeReserve };
}
