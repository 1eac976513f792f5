/**
 * Checked file writes and one mapping from operating-system errors to a
 * one-line message and exit code. `writeSync` returns a short count on a full
 * disk instead of throwing; everything that writes a log, a cache or a ledger
 * goes through `writeAll`, which either writes every byte or throws an
 * `OsError`. Callers that commit (a rollout line, a ledger line) write the
 * commit only after `writeAll` returned, so a failure can lose nothing
 * committed.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { HotmessError, type ErrorCode } from './errors.js';

/** What an OS error code means for the user, and which exit code it gets. */
interface OsFaultInfo {
  readonly text: string;
  readonly code: ErrorCode;
  /** The run can continue with `--resume` once the cause is fixed (space, quota, device). */
  readonly resumable: boolean;
}

/**
 * The one table. Capacity and device faults while writing a log are exit 4
 * (the log is incomplete; resume after freeing space). A path the user named
 * that cannot be used is a usage error, exit 2.
 */
export const OS_FAULTS = {
  ENOSPC: { text: 'no space left on device', code: 'log', resumable: true },
  EDQUOT: { text: 'disk quota exceeded', code: 'log', resumable: true },
  EFBIG: { text: 'file too large for this file system', code: 'log', resumable: true },
  EIO: { text: 'input/output error on the device', code: 'log', resumable: true },
  ESHORT: { text: 'short write (the device accepted fewer bytes than given)', code: 'log', resumable: true },
  EROFS: { text: 'read-only file system', code: 'log', resumable: false },
  EACCES: { text: 'permission denied', code: 'log', resumable: false },
  EPERM: { text: 'operation not permitted', code: 'log', resumable: false },
  ENOTDIR: { text: 'a parent of this path is a file, not a directory', code: 'usage', resumable: false },
  EISDIR: { text: 'is a directory, expected a file', code: 'usage', resumable: false },
  ENAMETOOLONG: { text: 'file name too long', code: 'usage', resumable: false },
  ENOENT: { text: 'no such file or directory', code: 'usage', resumable: false },
  EEXIST: { text: 'already exists', code: 'usage', resumable: false },
  ELOOP: { text: 'too many symbolic links', code: 'usage', resumable: false },
  EMFILE: { text: 'too many open files in this process', code: 'internal', resumable: true },
  ENFILE: { text: 'too many open files on this system', code: 'internal', resumable: true },
} as const satisfies Record<string, OsFaultInfo>;

export type OsFaultCode = keyof typeof OS_FAULTS;

const isOsFaultCode = (c: unknown): c is OsFaultCode => typeof c === 'string' && Object.hasOwn(OS_FAULTS, c);

/** An OS error as one line: `PATH: could not ACTION: TEXT (CODE)`. Exit code from OS_FAULTS. */
export class OsError extends HotmessError {
  readonly errno: OsFaultCode;
  readonly path: string;
  readonly resumable: boolean;
  constructor(errno: OsFaultCode, path: string, action: string, options?: { cause?: unknown }) {
    const info: OsFaultInfo = OS_FAULTS[errno];
    super(info.code, `${path}: could not ${action}: ${info.text} (${errno})`, options);
    this.name = 'OsError';
    this.errno = errno;
    this.path = path;
    this.resumable = info.resumable;
  }
}

export const isOsError = (e: unknown): e is OsError => e instanceof OsError;

/** The `code` of a Node system error (ENOSPC, …), or null. */
export function errnoOf(e: unknown): string | null {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^E[A-Z0-9]+$/.test(c) ? c : null;
}

/**
 * Turn a Node system error into an `OsError` naming `path` and what was being
 * done (`action`: "write", "create the run directory", …). Returns `e`
 * unchanged when it is not a known OS error (including HotmessErrors).
 */
export function fromOsError(e: unknown, path: string, action: string): unknown {
  if (e instanceof HotmessError) return e;
  const code = errnoOf(e);
  return isOsFaultCode(code) ? new OsError(code, (e as { path?: string }).path ?? path, action, { cause: e }) : e;
}

/** Run `fn`, mapping any OS error it throws to an `OsError` (see `fromOsError`). */
export function withOsErrors<T>(path: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromOsError(e, path, action);
  }
}

/**
 * Write all of `data` at the file's current position (or append, for an fd
 * opened with 'a'), or throw an `OsError`. A short count is retried for the
 * rest; a write that makes no progress is a short write (ESHORT). The fast
 * path (everything written at once) allocates nothing.
 */
export function writeAll(fd: number, data: string | Uint8Array, path: string): void {
  try {
    if (typeof data === 'string') {
      if (data.length === 0) return;
      const n = writeSync(fd, data);
      const total = Buffer.byteLength(data);
      if (n === total) return;
      writeRest(fd, Buffer.from(data).subarray(n), path);
    } else {
      writeRest(fd, data, path);
    }
  } catch (e) {
    throw fromOsError(e, path, 'write');
  }
}

function writeRest(fd: number, bytes: Uint8Array, path: string): void {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw new OsError('ESHORT', path, 'write');
    off += n;
  }
}

/** Append `data` to `path` (created if absent), every byte or an `OsError`. */
export function appendAll(path: string, data: string | Uint8Array): void {
  const fd = withOsErrors(path, 'open for appending', () => openSync(path, 'a'));
  try {
    writeAll(fd, data, path);
  } finally {
    closeSync(fd);
  }
}

/** A temp name no other process (or earlier crashed run) shares: two writers never collide on one temp file. */
export const tempPathFor = (path: string): string => `${path}.${process.pid}.tmp`;

/**
 * Replace `path` atomically with `data`: written in full to a per-process temp
 * file, fsynced, then renamed over `path`. A reader sees the old file or the
 * new one, never half; on failure the temp file is removed and `path` is untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    const fd = withOsErrors(tmp, 'create', () => openSync(tmp, 'w'));
    try {
      writeAll(fd, data, path);
      withOsErrors(path, 'sync', () => fsyncSync(fd));
    } finally {
      closeSync(fd);
    }
    withOsErrors(path, 'replace', () => renameSync(tmp, path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
