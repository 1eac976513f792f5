/**
 * Inputs for the Inspect import tests, made from the real logs Inspect
 * wrote (../shared/data/inspect): repacked with zstd entries by the real
 * `zstd` tool, with entries changed or dropped, or as .json documents with
 * samples edited. Zips are written with fflate (what the importer reads
 * with is exercised, not reimplemented).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { resolve } from 'node:path';
import { unzipSync, Zip, ZipDeflate } from 'fflate';
import { REPO } from './helpers.js';

export const INSPECT_DIR = resolve(REPO, '../shared/data/inspect');
export const inspectLog = (name: string): string => resolve(INSPECT_DIR, name);
/** The real logs are shipped in ../shared beside the clone; tests built on them skip, saying so, without it. */
export const HAVE_INSPECT = existsSync(inspectLog('log_streaming.eval'));
export function warnSkipped(test: string): void {
  if (!HAVE_INSPECT) console.warn(`[${test}] SKIPPED: ${INSPECT_DIR} is absent (the real Inspect logs these tests start from)`);
}
export const REAL_LOGS = ['log_formats.eval', 'log_message_deduplication.eval', 'log_read_sample.json', 'log_streaming.eval', 'log_tool_call_error.json'] as const;

/** The entries of a real .eval, as text, in archive order. */
export function evalEntries(file: string): Array<[string, string]> {
  return Object.entries(unzipSync(readFileSync(file))).map(([name, data]) => [name, Buffer.from(data).toString('utf8')]);
}

/** Write entries as a zip: deflate by default, or zstd (method 93) compressed by the zstd CLI. */
export function writeZip(file: string, entries: ReadonlyArray<readonly [string, string]>, method: 'deflate' | 'zstd' = 'deflate'): void {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  for (const [name, text] of entries) {
    const raw = Buffer.from(text, 'utf8');
    if (method === 'deflate') {
      const d = new ZipDeflate(name);
      zip.add(d);
      d.push(raw, true);
    } else {
      const packed = execFileSync('zstd', ['-q', '-c'], { input: raw });
      const f = { filename: name, size: raw.length, crc: crc32(raw), compression: 93, ondata: undefined as undefined | ((e: null, d: Uint8Array, final: boolean) => void) };
      zip.add(f as never);
      f.ondata!(null, new Uint8Array(packed), true);
    }
  }
  zip.end();
  writeFileSync(file, Buffer.concat(chunks));
}

/** A real .json log, parsed, for editing. */
export const jsonLog = (name: string): Record<string, any> => JSON.parse(readFileSync(inspectLog(name), 'utf8'));
