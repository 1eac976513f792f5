/**
 * Readers for the run directory, over the one line splitter (lines.ts): a
 * torn last line (a crash mid-write) is reported through `onTorn` and
 * skipped; a corrupt line elsewhere is an error naming the file and line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorText, HotmessError, zodIssue } from '../core/index.js';
import { corruptLine, forEachLine } from './lines.js';
import { FILES, KNOWN_RUN_SCHEMAS, ManifestSchema, type Manifest } from './records.js';

export interface LineInfo {
  readonly file: string;
  readonly line: number;
}

export interface ReadOptions {
  /** Called for a torn final line (no newline, not valid JSON); default: skip silently. */
  onTorn?(info: LineInfo): void;
}

/**
 * Stream the lines of `file` as text with their 1-based numbers. The
 * final line is passed with `isLast` when it has no trailing newline.
 */
export async function readLines(file: string, onLine: (text: string, line: number, isLast: boolean) => void): Promise<void> {
  await forEachLine(file, (buf, s, e, line, _offset, last) => onLine(buf.toString('utf8', s, e), line, last));
}

/**
 * Stream the JSON lines of `file`, calling `onRecord` for each parsed one.
 * A final line cut short by a crash (no newline, not JSON) goes to `onTorn`.
 * Resolves with the number of records read.
 */
export async function readJsonl(file: string, onRecord: (record: unknown, info: LineInfo) => void, opts: ReadOptions = {}): Promise<number> {
  let count = 0;
  await readLines(file, (text, line, isLast) => {
    if (text.length === 0) return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      if (isLast) {
        opts.onTorn?.({ file, line });
        return;
      }
      throw corruptLine(file, line, text);
    }
    count++;
    onRecord(rec, { file, line });
  });
  return count;
}

/** Read and validate a run's manifest, refusing unknown schema versions. */
export function readManifest(dir: string): Manifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new HotmessError('log', `${dir}: not a run directory (does not exist)`);
  const path = join(dir, FILES.manifest);
  if (!existsSync(path)) throw new HotmessError('log', `${path}: missing; ${dir} is not a run directory`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HotmessError('log', `${path}: corrupt manifest (${errorText(e)})`);
  }
  const schema = (raw as { schema?: unknown })?.schema;
  if (typeof schema !== 'string' || !(KNOWN_RUN_SCHEMAS as readonly string[]).includes(schema)) {
    throw new HotmessError('log', `${path}: unknown schema version ${JSON.stringify(schema)} (this hotmess reads ${KNOWN_RUN_SCHEMAS.join(', ')})`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HotmessError('log', `${path}: ${zodIssue(parsed.error)}`);
  }
  return parsed.data;
}
