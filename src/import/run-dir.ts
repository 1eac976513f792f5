/**
 * Writes an imported run directory atomically: every file goes into a hidden
 * temporary sibling of the destination, and only a complete directory (its
 * manifest written last) is renamed into place. A crash or a bad record
 * therefore never leaves a half-written directory that looks finished.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FILES, ManifestSchema, lockRun, type Manifest, type RunLock } from '../log/index.js';
import { HotmessError, OsError, fromOsError } from '../core/index.js';

/** Lines are buffered and flushed in chunks of about this many characters. */
const FLUSH_AT = 1 << 20;

/** An append-only JSONL file inside the temporary directory. */
export class LineFile {
  private buffer = '';
  private lines = 0;
  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
  ) {}

  /** Append one line; `line` must not contain a newline (one is added). */
  async write(line: string): Promise<void> {
    this.buffer += line + '\n';
    this.lines++;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  get count(): number {
    return this.lines;
  }

  /** Every byte or an OsError: FileHandle.write may write fewer bytes than given (a full disk). */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const bytes = Buffer.from(this.buffer);
    this.buffer = '';
    try {
      for (let off = 0; off < bytes.length; ) {
        const { bytesWritten } = await this.handle.write(bytes, off, bytes.length - off);
        if (bytesWritten <= 0) throw new OsError('ESHORT', this.path, 'write');
        off += bytesWritten;
      }
    } catch (e) {
      throw fromOsError(e, this.path, 'write');
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

async function isEmptyDir(path: string): Promise<boolean | null> {
  let s;
  try {
    s = await stat(path);
  } catch {
    return null; // absent
  }
  if (!s.isDirectory()) throw new HotmessError('usage', `--out ${path} exists and is not a directory`);
  return (await readdir(path)).length === 0;
}

/**
 * A run directory being written. Contract: `open` refuses an existing
 * non-empty destination unless `force`; `commit` validates and writes the
 * manifest, then renames the directory into place; `abort` removes the
 * temporary directory. Exactly one of `commit`/`abort` must be called.
 */
export class RunDirWriter {
  private readonly files: LineFile[] = [];
  private done = false;

  private constructor(
    readonly out: string,
    readonly tmp: string,
    private readonly force: boolean,
    /** `--force` over an existing run: its lock, so no run or resume writes it while it is replaced. */
    private readonly lock: RunLock | null,
  ) {}

  static async open(out: string, force = false): Promise<RunDirWriter> {
    const target = resolve(out);
    const empty = await isEmptyDir(target);
    if (empty === false && !force) {
      throw new HotmessError('usage', `--out ${out} exists and is not empty (pass --force to replace it)`);
    }
    // --force replaces a run directory, never an arbitrary folder.
    if (empty === false && force && !existsSync(join(target, FILES.manifest))) {
      throw new HotmessError('usage', `--out ${out} is not a run directory (no ${FILES.manifest}); --force only replaces run directories`);
    }
    const lock = empty === false ? lockRun(target, 'hotmess import --force') : null;
    try {
      await mkdir(dirname(target), { recursive: true }).catch((e) => Promise.reject(fromOsError(e, dirname(target), 'create the directory')));
      const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.importing-`)).catch((e) => Promise.reject(fromOsError(e, dirname(target), 'create a temporary directory')));
      // mkdtemp makes the directory private; a run directory is as readable as any other.
      await chmod(tmp, 0o755);
      return new RunDirWriter(target, tmp, force, lock);
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  /** Open one of the run's JSONL files for appending. */
  async lines(name: string): Promise<LineFile> {
    const path = join(this.tmp, name);
    const file = new LineFile(await open(path, 'w'), path);
    this.files.push(file);
    return file;
  }

  /** Write the manifest last, then move the finished directory into place. */
  async commit(manifest: Manifest): Promise<void> {
    if (this.done) throw new Error('run directory already committed or aborted');
    // Our own output must satisfy the reader's schema; a mismatch is a bug here.
    ManifestSchema.parse(manifest);
    for (const f of this.files) await f.close();
    this.files.length = 0;
    await writeFile(join(this.tmp, FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
    const empty = await isEmptyDir(this.out);
    if (empty === null) {
      await rename(this.tmp, this.out);
    } else if (empty || this.force) {
      // Move the old directory aside first so the destination is never missing a manifest mid-swap.
      const old = `${this.tmp}-old`;
      await rename(this.out, old);
      await rename(this.tmp, this.out);
      await rm(old, { recursive: true, force: true });
    } else {
      throw new HotmessError('usage', `--out ${this.out} was filled by someone else during the import`);
    }
    this.done = true;
  }

  /** Discard everything written so far. Safe to call after a failed commit. */
  async abort(): Promise<void> {
    // The replaced directory (and its lock file) is gone after a commit; release only removes our own lock.
    this.lock?.release();
    if (this.done) return;
    this.done = true;
    for (const f of this.files) await f.close().catch(() => undefined);
    await rm(this.tmp, { recursive: true, force: true });
  }
}

/** Run `body` against a fresh writer, aborting it on any failure. */
export async function withRunDir<T>(out: string, force: boolean, body: (w: RunDirWriter) => Promise<T>): Promise<T> {
  const writer = await RunDirWriter.open(out, force);
  try {
    return await body(writer);
  } finally {
    await writer.abort();
  }
}
