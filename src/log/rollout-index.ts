/**
 * The one reader of rollouts.jsonl: every line checked against the rollout
 * schema, a torn last line (a crash mid-write) passed to `onTorn`, anything
 * else wrong one error naming the file, line and field. Callers decide what
 * a repeated rollout id means (the analysis and replay: the later line).
 */
import { HotmessError, zodIssue } from '../core/index.js';
import { corruptLine, forEachLine, forEachLineSync } from './lines.js';
import { RolloutRecordSchema, type RolloutRecord } from './records.js';

export interface RolloutReadOptions {
  /** A final line without newline that is not JSON; default: skipped silently. */
  readonly onTorn?: (line: number) => void;
}

/** A rollouts.jsonl line as the writer's record, or the one-line error. */
function rolloutLine(file: string, text: string, line: number): RolloutRecord {
  const raw = JSON.parse(text) as unknown;
  const parsed = RolloutRecordSchema.safeParse(raw);
  if (!parsed.success) throw new HotmessError('log', `${file}:${line}: ${zodIssue(parsed.error)}`);
  return parsed.data;
}

/** Stream the rollout records of `file` (rollouts.jsonl) in order; resolves with their count. */
export async function forEachRollout(file: string, onRecord: (r: RolloutRecord, line: number) => void, opts: RolloutReadOptions = {}): Promise<number> {
  let count = 0;
  await forEachLine(file, (buf, s, e, line, _offset, last) => {
    if (e === s) return;
    const text = buf.toString('utf8', s, e);
    let rec: RolloutRecord;
    try {
      rec = rolloutLine(file, text, line);
    } catch (err) {
      if (err instanceof HotmessError) throw err;
      if (last) return opts.onTorn?.(line);
      throw corruptLine(file, line, text);
    }
    count++;
    onRecord(rec, line);
  });
  return count;
}

/**
 * The (id, termination) of every parsable line of `file`, synchronously and
 * without the schema: for counting (is analysis.json current?), where a
 * malformed line is the analyzer's to report, not this reader's.
 */
export function forEachRolloutEnd(file: string, onEnd: (id: unknown, termination: unknown) => void): void {
  forEachLineSync(file, (buf, s, e) => {
    if (e === s) return;
    let r: { rollout?: unknown; termination?: unknown };
    try {
      r = JSON.parse(buf.toString('utf8', s, e)) as typeof r;
    } catch {
      return;
    }
    onEnd(r?.rollout, r?.termination);
  });
}
