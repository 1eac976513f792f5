/**
 * Writes an imported run directory atomically: every file goes into a hidden
 * temporary sibling of the destination, and only a complete directory (its
 * manifest written last) is renamed into place. A crash or a bad record
 * therefore never leaves a half-written directory that looks finished.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FILES, ManifestSchema, type Manifest } from '../log/index.js';
import { HotmessError } from '../core/index.js';

/** Lines are buffered and flushed in chunks of about this many characters. */
const FLUSH_AT = 1 << 20;

/** An append-only JSONL file inside the temporary directory. */
export class LineFile {
  private buffer = '';
  private lines = 0;
  constructor(private readonly handle: FileHandle) {}

  /** Append one line; `line` must not contain a newline (one is added). */
  async write(line: string): Promise<void> {
    this.buffer += line + '\n';
    this.lines++;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  get count(): number {
    return this.lines;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    await this.handle.write(chunk);
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
    await mkdir(dirname(target), { recursive: true });
    const tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.importing-`));
    // mkdtemp makes the directory private; a run directory is as readable as any other.
    await chmod(tmp, 0o755);
    return new RunDirWriter(target, tmp, force);
  }

  /** Open one of the run's JSONL files for appending. */
  async lines(name: string): Promise<LineFile> {
    const file = new LineFile(await open(join(this.tmp, name), 'w'));
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
