/**
 * Reads one Inspect log, `.eval` (a zip: header.json plus one entry per
 * sample × epoch) or `.json` (one EvalLog document, streamed), handing over
 * each sample as it is read and returning the validated header. Every
 * problem is a one-line HotmessError (exit 3) naming the file and the entry
 * or sample.
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { HotmessError } from '../../core/index.js';
import { cannotRead, describeIssue, describeJsonError, preview } from '../issues.js';
import { EvalJsonSplitter, SyntaxProblem } from './json-split.js';
import { HeaderSchema, KNOWN_VERSIONS, SampleSchema, type Header, type Sample } from './schema.js';
import { readZipEntries, ZipProblem } from './zip-read.js';

export type LogFormat = 'eval' | 'json';

export const formatOf = (file: string): LogFormat | null => {
  const ext = extname(file).toLowerCase();
  return ext === '.eval' ? 'eval' : ext === '.json' ? 'json' : null;
};

export interface SampleVisit {
  readonly sample: Sample;
  /** `file: entry` for messages. */
  readonly where: string;
}

/** A `.json` file that is not an EvalLog at all (a directory import skips it). */
export class NotAnInspectLog extends HotmessError {}

const bad = (msg: string): HotmessError => new HotmessError('input', msg);

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bad(`${where}: not valid JSON: ${describeJsonError(e, text)}`);
  }
}

function checkSample(raw: unknown, where: string): Sample {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`${where}: expected a sample object, got ${preview(raw)}`);
  const parsed = SampleSchema.safeParse(raw);
  if (!parsed.success) throw bad(`${where}: ${describeIssue(parsed.error, raw)}`);
  return parsed.data;
}

function checkVersion(version: unknown, where: string): void {
  if (version === undefined) throw bad(`${where}: missing field "version" (not an Inspect log?)`);
  if (!(KNOWN_VERSIONS as readonly unknown[]).includes(version)) {
    throw bad(`${where}: unknown log format version ${preview(version)} (this hotmess reads Inspect log versions ${KNOWN_VERSIONS.join(', ')})`);
  }
}

function checkHeader(raw: unknown, where: string): Header {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`${where}: expected an EvalLog header object, got ${preview(raw)}`);
  checkVersion((raw as { version?: unknown }).version, where);
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) throw bad(`${where}: ${describeIssue(parsed.error, raw)}`);
  return parsed.data;
}

const SAMPLE_ENTRY = /^samples\/.+\.json$/;
const HEADER_ENTRY = 'header.json';

async function readEval(file: string, onSample: (v: SampleVisit) => Promise<void> | void): Promise<Header> {
  let header: Header | null = null;
  try {
    await readZipEntries(
      file,
      (name) => name === HEADER_ENTRY || SAMPLE_ENTRY.test(name),
      async (name, data) => {
        const where = `${file}: ${name}`;
        const value = parseJson(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8'), where);
        if (name === HEADER_ENTRY) header = checkHeader(value, where);
        else await onSample({ sample: checkSample(value, where), where });
      },
    );
  } catch (e) {
    if (e instanceof ZipProblem) throw bad(`${file}${e.entry !== null ? `: ${e.entry}` : ''}: ${e.message}`);
    throw e;
  }
  if (header === null) throw bad(`${file}: no ${HEADER_ENTRY} entry (an unfinished or damaged .eval log?)`);
  return header;
}

async function readJson(file: string, onSample: (v: SampleVisit) => Promise<void> | void): Promise<Header> {
  const splitter = new EvalJsonSplitter();
  const members: Record<string, unknown> = {};
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let events;
      try {
        events = splitter.push(chunk);
      } catch (e) {
        if (e instanceof SyntaxProblem) throw bad(`${file}: not a valid EvalLog document: ${e.message}`);
        throw e;
      }
      for (const ev of events) {
        if (ev.kind === 'member') {
          members[ev.key] = parseJson(ev.text, `${file}: "${ev.key}"`);
          // Refuse an unknown version before reading samples written in it.
          if (ev.key === 'version') checkVersion(members.version, file);
          continue;
        }
        const at = `${file}: samples[${ev.index}]`;
        const raw = parseJson(ev.text, at);
        const id = (raw as { id?: unknown } | null)?.id;
        const epoch = (raw as { epoch?: unknown } | null)?.epoch;
        const where = `${at}${id !== undefined ? ` (id ${preview(id)}${epoch !== undefined ? `, epoch ${preview(epoch)}` : ''})` : ''}`;
        await onSample({ sample: checkSample(raw, where), where });
      }
    }
    try {
      splitter.end();
    } catch (e) {
      if (e instanceof SyntaxProblem) throw bad(`${file}: not a valid EvalLog document: ${e.message}`);
      throw e;
    }
  } catch (e) {
    if (e instanceof HotmessError) throw e;
    throw bad(cannotRead(file, e));
  } finally {
    stream.destroy();
  }
  if (!('version' in members) && !('eval' in members)) throw new NotAnInspectLog('input', `${file}: not an Inspect log (no "version" or "eval" member)`);
  return checkHeader(members, file);
}

/** Read `file` (by extension), calling `onSample` for each sample; returns the header. */
export async function readInspectLog(file: string, onSample: (v: SampleVisit) => Promise<void> | void): Promise<Header> {
  const format = formatOf(file);
  if (format === null) throw new HotmessError('usage', `${file}: not an Inspect log (expected .eval or .json)`);
  return format === 'eval' ? readEval(file, onSample) : readJson(file, onSample);
}
