/**
 * Streams the entries of a zip archive (an Inspect `.eval` log) through
 * fflate's Unzip, with deflate and zstd (method 93, decoded by fzstd)
 * registered: Inspect writes either. Only entries the caller wants are
 * decompressed, one at a time, so memory follows the largest wanted entry.
 */
import { createReadStream } from 'node:fs';
import { Unzip, UnzipInflate, UnzipPassThrough, type AsyncFlateStreamHandler, type UnzipFile } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { errorText } from '../../core/index.js';

/** APPNOTE.txt 4.4.5: 93 is Zstandard. */
export const ZSTD_METHOD = 93;

/** Zstandard entries: fzstd decodes a whole frame, so the compressed bytes are gathered first. */
class UnzipZstd {
  static readonly compression = ZSTD_METHOD;
  ondata!: AsyncFlateStreamHandler;
  private readonly parts: Uint8Array<ArrayBuffer>[] = [];

  push(chunk: Uint8Array, final: boolean): void {
    // fflate may reuse the chunk's buffer: keep a copy.
    this.parts.push(chunk.slice());
    if (!final) return;
    let out: Uint8Array;
    try {
      out = zstdDecompress(new Uint8Array(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)));
    } catch (e) {
      this.ondata(new Error(`zstd: ${errorText(e)}`) as never, new Uint8Array(0), true);
      return;
    }
    // fzstd allocates a plain ArrayBuffer.
    this.ondata(null, out as Uint8Array<ArrayBuffer>, true);
  }
}

export class ZipProblem extends Error {
  constructor(
    readonly entry: string | null,
    message: string,
  ) {
    super(message);
  }
}

const LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];

/**
 * Call `onEntry(name, bytes)` for each entry whose name `want` accepts, in
 * archive order, awaiting each call before reading on. Throws a ZipProblem
 * naming the entry that could not be read.
 */
export async function readZipEntries(file: string, want: (name: string) => boolean, onEntry: (name: string, data: Uint8Array) => Promise<void> | void): Promise<string[]> {
  const names: string[] = [];
  const ready: Array<{ name: string; data: Uint8Array }> = [];
  let failure: ZipProblem | null = null;
  let open: string | null = null;
  const unzip = new Unzip((f: UnzipFile) => {
    names.push(f.name);
    if (!want(f.name)) return;
    const parts: Uint8Array[] = [];
    open = f.name;
    f.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = new ZipProblem(f.name, `cannot decompress (${err.message})`);
        return;
      }
      parts.push(chunk.slice());
      if (final) {
        ready.push({ name: f.name, data: parts.length === 1 ? parts[0] : Buffer.concat(parts) });
        open = null;
      }
    };
    try {
      f.start();
    } catch (e) {
      failure = new ZipProblem(f.name, `cannot decompress (${errorText(e)})`);
    }
  });
  unzip.register(UnzipPassThrough);
  unzip.register(UnzipInflate);
  unzip.register(UnzipZstd);

  let first = true;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if (chunk.length < 4 || LOCAL_HEADER.some((b, i) => chunk[i] !== b)) throw new ZipProblem(null, 'not a zip archive (an .eval log is one)');
      }
      try {
        unzip.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        throw new ZipProblem(open, `corrupt zip data (${errorText(e)})`);
      }
      if (failure) throw failure;
      for (const entry of ready.splice(0)) await onEntry(entry.name, entry.data);
    }
    if (first) throw new ZipProblem(null, 'empty file (not a zip archive)');
    try {
      unzip.push(new Uint8Array(0), true);
    } catch (e) {
      throw new ZipProblem(open, `corrupt zip data (${errorText(e)})`);
    }
    if (failure) throw failure;
    for (const entry of ready.splice(0)) await onEntry(entry.name, entry.data);
    if (open !== null) throw new ZipProblem(open, 'the archive ends inside this entry (a truncated file?)');
  } finally {
    stream.destroy();
  }
  return names;
}
