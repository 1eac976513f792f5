/**
 * Streams a generic-import JSONL file line by line, yielding each record
 * validated and typed, with its 1-based line number. Blank lines are
 * skipped. Memory stays flat however long the file is.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { HotmessError } from '../core/index.js';
import { cannotRead, describeIssue, describeJsonError, preview } from './issues.js';
import { LineSchema, type ImportLine } from './jsonl-schema.js';

const TYPES = ['run', 'step', 'outcome'];

export interface NumberedLine {
  readonly line: number;
  readonly record: ImportLine;
}

/**
 * Parse one line's text, or throw a one-line HotmessError naming `where`
 * (`file:line`). With `validate` false the shape is trusted: only for a
 * line already validated by an earlier pass.
 */
export function parseLine(text: string, where: string, validate = true): ImportLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HotmessError('input', `${where}: not valid JSON: ${describeJsonError(e, text)}`);
  }
  if (!validate) return raw as ImportLine;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HotmessError('input', `${where}: expected a JSON object, got ${preview(raw)}`);
  }
  const type = (raw as { type?: unknown }).type;
  if (type === undefined) throw new HotmessError('input', `${where}: missing field "type" (one of ${TYPES.join(', ')})`);
  if (!TYPES.includes(type as string)) throw new HotmessError('input', `${where}: field "type": expected one of ${TYPES.join(', ')}, got ${preview(type)}`);
  const parsed = LineSchema.safeParse(raw);
  if (!parsed.success) throw new HotmessError('input', `${where}: ${type} record: ${describeIssue(parsed.error, raw)}`);
  return parsed.data;
}

const readError = (file: string, e: unknown): HotmessError =>
  e instanceof HotmessError ? e : new HotmessError('input', cannotRead(file, e));

/**
 * Every non-blank line of `file`, parsed, and validated unless `validate` is
 * false (a second pass over a file the first pass validated). I/O errors
 * become HotmessErrors naming the file.
 */
export async function* readImportLines(file: string, validate = true): AsyncGenerator<NumberedLine> {
  const input = createReadStream(file, { encoding: 'utf8' });
  // Surface a missing file as our error before readline sees the stream.
  await new Promise<void>((res, rej) => {
    input.once('ready', () => res());
    input.once('error', (e) => rej(readError(file, e)));
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (let text of lines) {
      n++;
      if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === '') continue;
      yield { line: n, record: parseLine(text, `${file}:${n}`, validate) };
    }
  } catch (e) {
    throw readError(file, e);
  } finally {
    lines.close();
    input.destroy();
  }
}
