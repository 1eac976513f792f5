/**
 * Writes a zip archive entry by entry through fflate's streaming Zip with
 * deflate (what Inspect's viewer reads), straight to a file handle, so
 * memory follows one entry, not the archive.
 */
import type { FileHandle } from 'node:fs/promises';
import { Zip, ZipDeflate } from 'fflate';

export class ZipWriter {
  private readonly chunks: Uint8Array[] = [];
  private failed: Error | null = null;
  private readonly zip: Zip;

  /** `mtime` stamps every entry, so the same input gives the same bytes (fflate's default is now). */
  constructor(
    private readonly handle: FileHandle,
    private readonly mtime: Date,
  ) {
    this.zip = new Zip((err, chunk) => {
      if (err) this.failed = err;
      else this.chunks.push(chunk);
    });
  }

  /** Add one entry (deflated) and write what the archive has so far. */
  async add(name: string, text: string): Promise<void> {
    const entry = new ZipDeflate(name, { level: 6 });
    entry.mtime = this.mtime;
    this.zip.add(entry);
    entry.push(Buffer.from(text, 'utf8'), true);
    await this.drain();
  }

  /** Write the central directory. */
  async end(): Promise<void> {
    this.zip.end();
    await this.drain();
  }

  private async drain(): Promise<void> {
    if (this.failed) throw this.failed;
    for (const c of this.chunks.splice(0)) await this.handle.write(c);
  }
}
