/**
 * Streaming readers for the run directory. Lines are read in chunks, never
 * the whole file at once. A torn last line (a crash mid-write) is reported
 * through `onTorn` and skipped; a corrupt line elsewhere is an error naming
 * the file and line.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError } from '../core/index.js';
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
 * Stream the lines of `file` as raw text with their 1-based numbers. The
 * final line is passed with `isLast` when it has no trailing newline.
 */
export async function readLines(file: string, onLine: (text: string, line: number, isLast: boolean) => void): Promise<void> {
  if (!existsSync(file)) throw new HotmessError('log', `${file}: file not found`);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const data = rest.length > 0 ? rest + chunk : chunk;
    let start = 0;
    let nl = data.indexOf('\n', start);
    while (nl !== -1) {
      onLine(data.slice(start, nl), ++lineNo, false);
      start = nl + 1;
      nl = data.indexOf('\n', start);
    }
    rest = data.slice(start);
  }
  if (rest.length > 0) onLine(rest, ++lineNo, true);
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
      throw new HotmessError('log', `${file}:${line}: corrupt line (not JSON): ${text.slice(0, 60)}`);
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
    throw new HotmessError('log', `${path}: corrupt manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  const schema = (raw as { schema?: unknown })?.schema;
  if (typeof schema !== 'string' || !(KNOWN_RUN_SCHEMAS as readonly string[]).includes(schema)) {
    throw new HotmessError('log', `${path}: unknown schema version ${JSON.stringify(schema)} (this hotmess reads ${KNOWN_RUN_SCHEMAS.join(', ')})`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HotmessError('log', `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
