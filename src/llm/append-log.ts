/**
 * The append-only JSONL files of the model runtime (the response cache, the
 * cost ledger). A crash mid-append leaves a torn last line; it is cut before
 * the next append, so the next line starts clean instead of being glued onto
 * the fragment (and lost). Writes go through `writeAll`: every byte or an
 * `OsError` (a full disk never silently drops half a line).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { withOsErrors, writeAll } from '../core/index.js';

export class AppendLog {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Append one line (the newline is added). Opens on first use, cutting a torn tail. */
  append(line: string): void {
    if (this.fd === null) this.fd = openForAppend(this.path);
    writeAll(this.fd, line + '\n', this.path);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Open `path` for appending (creating it and its directory), after cutting anything past its last newline. */
export function openForAppend(path: string): number {
  return withOsErrors(path, 'open for appending', () => {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) cutTornTail(path);
    return openSync(path, 'a');
  });
}

/** Truncate `path` after its last newline; returns the bytes cut. (Cache files are one rollout's; the ledger is read whole at open anyway.) */
export function cutTornTail(path: string): number {
  const bytes = readFileSync(path);
  const keep = bytes.lastIndexOf(0x0a) + 1;
  if (keep < bytes.length) truncateSync(path, keep);
  return bytes.length - keep;
}
