/**
 * One streaming pass over steps.jsonl that records, per rollout, the byte
 * ranges of its lines: runs of consecutive lines of one rollout, as flat
 * triples [start, end, lines]. The engine writes a rollout's steps together
 * (in 1 MB chunks), so a rollout usually has one range. Lines are not parsed
 * when they start with the writer's `{"rollout":"…"` prefix; the id bytes
 * are compared in place with the previous line's, so a million lines scan
 * at disk speed. Other lines (other writers) are parsed to find their id.
 */
import { HotmessError } from '../core/index.js';
import { forEachLine, forEachLineSync } from './lines.js';

export interface StepScan {
  /** Rollout id → flat [start, end, lines, start, end, lines, …] byte ranges. */
  readonly ranges: Map<string, number[]>;
  readonly lines: number;
  /** A final line without newline that is not JSON (a crash mid-write): skipped. */
  readonly tornLines: number;
}

const PREFIX = Buffer.from('{"rollout":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export async function scanSteps(file: string, onProgress?: (bytes: number) => void): Promise<StepScan> {
  const ranges = new Map<string, number[]>();
  let torn = 0;
  // The run being extended: its id bytes and its triple inside `ranges`.
  let curId = Buffer.alloc(0);
  let cur: number[] | null = null;
  let curAt = -1;

  const startRun = (id: string, idBytes: Buffer, start: number, end: number) => {
    let list = ranges.get(id);
    if (!list) ranges.set(id, (list = []));
    // Adjacent to its own previous range (a line of another writer in between is impossible here): merge.
    if (list.length > 0 && list[list.length - 2] === start) {
      list[list.length - 2] = end;
      list[list.length - 1]++;
    } else list.push(start, end, 1);
    cur = list;
    curAt = list.length - 3;
    curId = Buffer.from(idBytes);
  };

  const lines = await forEachLine(
    file,
    (view, s, e, lineNo, start, last) => {
      if (e === s) return;
      const end = start + (e - s) + (last ? 0 : 1);
      const idStart = s + PREFIX.length;
      if (e > idStart && view.compare(PREFIX, 0, PREFIX.length, s, idStart) === 0) {
        // The id's closing quote; an escape inside the id sends the line to the parser.
        let q = idStart;
        while (q < e && view[q] !== QUOTE && view[q] !== BACKSLASH) q++;
        if (q < e && view[q] === QUOTE) {
          if (cur !== null && q - idStart === curId.length && view.compare(curId, 0, curId.length, idStart, q) === 0 && cur[curAt + 1] === start) {
            cur[curAt + 1] = end;
            cur[curAt + 2]++;
            if (!last || isJson(view, s, e)) return;
            // A torn final line of the current rollout: undo.
            cur[curAt + 1] = start;
            cur[curAt + 2]--;
            torn++;
            return;
          }
          if (last && !isJson(view, s, e)) return void torn++;
          startRun(view.toString('utf8', idStart, q), view.subarray(idStart, q), start, end);
          return;
        }
      }
      let rec: unknown;
      try {
        rec = JSON.parse(view.toString('utf8', s, e));
      } catch {
        if (last) return void torn++;
        throw new HotmessError('log', `${file}:${lineNo}: corrupt line (not JSON): ${view.toString('utf8', s, Math.min(e, s + 60))}`);
      }
      const id = (rec as { rollout?: unknown } | null)?.rollout;
      if (typeof id !== 'string') throw new HotmessError('log', `${file}:${lineNo}: a step line needs a string "rollout"`);
      startRun(id, Buffer.from(id), start, end);
    },
    { onProgress },
  );
  return { ranges, lines, tornLines: torn };
}

function isJson(view: Buffer, s: number, e: number): boolean {
  try {
    JSON.parse(view.toString('utf8', s, e));
    return true;
  } catch {
    return false;
  }
}

const ANY_HEAD = Buffer.from('{"rollout":');

/**
 * The step lines of one rollout, parsed, in file order. The writer puts the
 * rollout id first, so other rollouts' lines are skipped unparsed; a line in
 * another field order is parsed to learn its id. Unparsable lines (a torn
 * last line) are skipped: callers check the steps they need are all there.
 */
export function forEachStepOf(file: string, id: string, onStep: (rec: Record<string, unknown>, line: number) => void): void {
  const head = Buffer.from('{"rollout":' + JSON.stringify(id) + ',');
  const startsWith = (buf: Buffer, s: number, e: number, h: Buffer) => e - s >= h.length && buf.compare(h, 0, h.length, s, s + h.length) === 0;
  forEachLineSync(file, (buf, s, e, line) => {
    if (startsWith(buf, s, e, ANY_HEAD) && !startsWith(buf, s, e, head)) return;
    let rec: Record<string, unknown> | null;
    try {
      rec = JSON.parse(buf.toString('utf8', s, e)) as Record<string, unknown> | null;
    } catch {
      return;
    }
    if (rec?.rollout === id) onStep(rec, line);
  });
}
