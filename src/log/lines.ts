/**
 * The one line splitter for the run directory's JSON Lines files: bytes read
 * in large chunks into one reused buffer, split on newlines in place, the
 * partial last line carried to the next chunk, the buffer doubled only for a
 * line longer than it. Every reader of steps.jsonl and rollouts.jsonl goes
 * through here; what a line means is the caller's business.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { HotmessError } from '../core/index.js';

/** Read size: large enough that a scan runs at disk speed, small enough to stay in cache. */
export const CHUNK_BYTES = 4 << 20;
const NL = 10;

/** A read buffer for `LineOptions.buffer`, to be reused by a caller that reads range after range. */
export const newReadBuffer = (): Buffer => Buffer.allocUnsafe(CHUNK_BYTES);

/**
 * One line: bytes [start, end) of `buf` without the newline, its 1-based
 * number within what is read, the file offset of its first byte, and whether
 * it is the final line without a newline (a torn line, if not JSON). `buf`
 * is reused for the next chunk: copy what must outlive the call.
 */
export type LineVisitor = (buf: Buffer, start: number, end: number, line: number, offset: number, last: boolean) => void;

export interface LineOptions {
  /** First byte to read (default 0). */
  readonly start?: number;
  /** Byte to stop at (default: the end of the file); the file must reach it. */
  readonly end?: number;
  /** Initial buffer size (default CHUNK_BYTES, or the range if smaller). */
  readonly chunk?: number;
  /**
   * A buffer to read into instead of a new one (`chunk` is then ignored): a
   * caller reading many ranges one after another reuses one, which spares
   * the allocator and the page faults of fresh memory on every range.
   */
  readonly buffer?: Buffer;
  /** After each chunk: the file offset up to which every line was passed on. */
  readonly onProgress?: (offset: number) => void;
  /** The message when the file ends before `end` (default: names the file and both offsets). */
  readonly short?: (offset: number) => string;
}

/** Open a log file for reading, or a one-line error naming it. */
export async function openLog(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch {
    throw new HotmessError('log', `${file}: file not found`);
  }
}

/** The error for a line that is not JSON and is not the torn last line. */
export function corruptLine(file: string, line: number, text: string): HotmessError {
  return new HotmessError('log', `${file}:${line}: corrupt line (not JSON): ${text.slice(0, 60)}`);
}

/**
 * The splitter itself, shared by the async and sync drivers: a buffer with
 * the partial last line carried at its front, filled by the driver's reads.
 */
class LineBuffer {
  buf: Buffer;
  /** File offset of buf[0]. */
  pos: number;
  /** Bytes of a partial line at the front of buf. */
  have = 0;
  lines = 0;
  /** The second buffer of `forEachLine`'s read-ahead: filled while `buf` is split. */
  private spare: Buffer | null = null;
  constructor(
    start: number,
    readonly end: number,
    chunk: number,
    private readonly onLine: LineVisitor,
    private readonly onProgress?: (offset: number) => void,
    buffer?: Buffer,
  ) {
    this.pos = start;
    this.buf = buffer && buffer.length > 0 ? buffer : Buffer.allocUnsafe(Math.max(1, Math.min(chunk, end - start)));
  }

  /** Whether there is more to read before `end`. */
  get open(): boolean {
    return this.pos + this.have < this.end;
  }

  /** Where the next read goes: [buffer offset, length, file position]. */
  nextRead(): [number, number, number] {
    if (this.have === this.buf.length) {
      // A single line longer than the buffer: grow it.
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.have);
      this.buf = bigger;
    }
    const at = this.pos + this.have;
    return [this.have, Math.min(this.buf.length - this.have, this.end - at), at];
  }

  /** Split what a read brought in, passing on every whole line. */
  take(bytesRead: number): void {
    const total = this.have + bytesRead;
    const view = this.buf.subarray(0, total);
    let s = 0;
    // The carried bytes hold no newline: search only what was just read.
    let nl = view.indexOf(NL, this.have);
    while (nl !== -1) {
      this.onLine(view, s, nl, ++this.lines, this.pos + s, false);
      s = nl + 1;
      nl = view.indexOf(NL, s);
    }
    // Keep the partial last line at the front of the buffer.
    if (s > 0) this.buf.copy(this.buf, 0, s, total);
    this.pos += s;
    this.have = total - s;
    this.onProgress?.(this.pos);
  }

  /**
   * Where the read after `bytesRead` more bytes goes, into the spare buffer,
   * issued before those bytes are split so the read overlaps the splitting:
   * [buffer, offset, length, file position], or null when nothing is left
   * before `end`. The offset leaves room for the partial last line that
   * `take` will carry over (its length is known before the split: the bytes
   * after the last newline); `swap` puts it there.
   */
  readAhead(bytesRead: number): [Buffer, number, number, number] | null {
    const total = this.have + bytesRead;
    const at = this.pos + total;
    if (at >= this.end) return null;
    const carry = total - (this.buf.lastIndexOf(NL, total - 1) + 1);
    let spare = this.spare;
    // A single line longer than the buffer: the spare grows as nextRead grows buf.
    const size = carry === this.buf.length ? this.buf.length * 2 : this.buf.length;
    if (spare === null || spare.length < size) spare = this.spare = Buffer.allocUnsafe(size);
    return [spare, carry, Math.min(spare.length - carry, this.end - at), at];
  }

  /** After `take`: the spare buffer, holding the read ahead, becomes the buffer, behind the carried partial line. */
  swap(): void {
    const next = this.spare!;
    this.buf.copy(next, 0, 0, this.have);
    this.spare = this.buf;
    this.buf = next;
  }

  /** The read returned nothing: at the end of the file, or short of `end`. */
  ended(name: string, short?: (offset: number) => string): void {
    if (this.end === Infinity) return;
    const at = this.pos + this.have;
    throw new HotmessError('log', short ? short(at) : `${name}: ends at byte ${at}, before byte ${this.end}`);
  }

  /** The final line without a newline, if any. */
  finish(): number {
    if (this.have > 0) this.onLine(this.buf.subarray(0, this.have), 0, this.have, ++this.lines, this.pos, true);
    return this.lines;
  }
}

const bufferFor = (onLine: LineVisitor, opts: LineOptions) =>
  new LineBuffer(opts.start ?? 0, opts.end ?? Infinity, opts.chunk ?? CHUNK_BYTES, onLine, opts.onProgress, opts.buffer);

/**
 * Call `onLine` for every line of `source` (a path, or an open handle for
 * repeated range reads) in order, blank ones included. Resolves with the
 * number of lines.
 */
export async function forEachLine(source: string | FileHandle, onLine: LineVisitor, opts: LineOptions = {}): Promise<number> {
  const own = typeof source === 'string';
  const fh = own ? await openLog(source) : source;
  const lb = bufferFor(onLine, opts);
  const read = (buf: Buffer, at: number, length: number, position: number) => fh.read(buf, at, length, position);
  // One read always in flight while the previous chunk is split (into the other of two buffers).
  let pending = lb.open ? read(lb.buf, ...lb.nextRead()) : null;
  try {
    while (pending) {
      const { bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) {
        lb.ended(own ? source : 'log file', opts.short);
        break;
      }
      const ahead = lb.readAhead(bytesRead);
      if (ahead) pending = read(...ahead);
      lb.take(bytesRead);
      if (ahead) lb.swap();
    }
    return lb.finish();
  } finally {
    // A visitor threw mid-chunk: let the read in flight land before the handle is closed or handed back.
    if (pending) await pending.then(
      () => undefined,
      () => undefined,
    );
    if (own) await fh.close();
  }
}

/** A line as text, for readers that pull lines (async generators). */
export interface TextLine {
  readonly text: string;
  readonly line: number;
  /** The final line without a newline. */
  readonly last: boolean;
}

/** The lines of `file` as text, pulled one chunk's worth at a time; `forEachLine` is the faster push form. */
export async function* textLines(file: string): AsyncGenerator<TextLine> {
  const fh = await openLog(file);
  let pending: TextLine[] = [];
  const lb = bufferFor((buf, s, e, line, _offset, last) => void pending.push({ text: buf.toString('utf8', s, e), line, last }), {});
  try {
    while (lb.open) {
      const [at, length, position] = lb.nextRead();
      const { bytesRead } = await fh.read(lb.buf, at, length, position);
      if (bytesRead === 0) break;
      lb.take(bytesRead);
      const ready = pending;
      pending = [];
      yield* ready;
    }
    lb.finish();
    yield* pending;
  } finally {
    await fh.close();
  }
}

/** `forEachLine` for callers that must stay synchronous (small files: rollouts.jsonl). */
export function forEachLineSync(file: string, onLine: LineVisitor, opts: LineOptions = {}): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new HotmessError('log', `${file}: file not found`);
  }
  const lb = bufferFor(onLine, opts);
  try {
    while (lb.open) {
      const [at, length, position] = lb.nextRead();
      const bytesRead = readSync(fd, lb.buf, at, length, position);
      if (bytesRead === 0) {
        lb.ended(file, opts.short);
        break;
      }
      lb.take(bytesRead);
    }
    return lb.finish();
  } finally {
    closeSync(fd);
  }
}

/** One line read by its offset and byte length (an index says where it is). */
export function readLineAt(file: string, offset: number, size: number): string {
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, size, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/**
 * The first line start at or after byte `pos` of the open file `fd`: `pos`
 * itself when it is 0 or follows a newline, else the byte after the next
 * newline; `size` when there is none before it. Splits a log into ranges
 * of whole lines for readers working in parallel.
 */
export function nextLineStart(fd: number, pos: number, size: number): number {
  if (pos <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 << 10);
  for (let at = pos - 1; at < size; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
    if (n === 0) break;
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0) return at + nl + 1;
    at += n;
  }
  return size;
}
