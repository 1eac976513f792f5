/**
 * One streaming pass over steps.jsonl that records, per rollout, the byte
 * ranges of its lines: runs of consecutive lines of one rollout, as flat
 * triples [start, end, lines]. The engine writes a rollout's steps together
 * (in 1 MB chunks), so a rollout usually has one range. Lines are not parsed
 * when they start with the writer's `{"rollout":"…"` prefix; the id bytes
 * are compared in place with the previous line's, so a million lines scan
 * at disk speed. Other lines (other writers) are parsed to find their id.
 *
 * With `actions`, the same pass also keeps each rollout's action per step,
 * interned by canonical key (the replay index caches where each group first
 * diverges from them), read from the bytes as `t` and `action` follow the id.
 */
import { canonicalJson, HotmessError, IntTable } from '../core/index.js';
import { nestedEnd, stringEnd } from './json-bytes.js';
import { forEachLine, forEachLineSync } from './lines.js';

/**
 * A rollout's actions by step as the replay's lanes hold them: `actions[t−1]`
 * is an interned canonical key, GAP for a step without a line. A line whose
 * t does not continue the lane starts it over (an earlier attempt), as
 * replay does. `bad` when a line gave no usable t or action: the lane is
 * then left to the full reader.
 */
export interface LaneActions {
  len: number;
  actions: Int32Array;
  bad: boolean;
}

/** The id of a step the log has no line for (a gap): shared, so gaps never diverge. */
export const GAP = -2;

export interface StepScan {
  /** Rollout id → flat [start, end, lines, start, end, lines, …] byte ranges. */
  readonly ranges: Map<string, number[]>;
  /** With `actions`: rollout id → its actions by step. */
  readonly lanes: Map<string, LaneActions>;
  readonly lines: number;
  /** A final line without newline that is not JSON (a crash mid-write): skipped. */
  readonly tornLines: number;
}

export interface ScanOptions {
  readonly onProgress?: (bytes: number) => void;
  /** Also keep every rollout's actions (StepScan.lanes). */
  readonly actions?: boolean;
}

const PREFIX = Buffer.from('{"rollout":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const T_KEY = Buffer.from(',"t":');
const ACTION_KEY = Buffer.from(',"action":');

/** Whether `key` starts at b[p] (a byte past the line is a newline or undefined: never a key byte). */
function at(b: Buffer, p: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (b[p + i] !== key[i]) return false;
  return true;
}

/** Index just past the JSON value starting at b[p] (strings skipped, brackets matched), or −1. */
function valueEnd(b: Buffer, p: number, end: number): number {
  const c = b[p];
  if (c === QUOTE) return stringEnd(b, p, end);
  if (c === 0x7b || c === 0x5b) return nestedEnd(b, p, end);
  let q = p;
  while (q < end && b[q] !== 0x2c && b[q] !== 0x7d && b[q] !== 0x5d) q++;
  return q > p ? q : -1;
}

/** The int32 written as b[s..e) in JSON's plain form (no leading zero, no fraction or exponent); 0 when it is not one (or is 0). */
function plainInt(b: Buffer, s: number, e: number): number {
  const neg = b[s] === 0x2d;
  let p = neg ? s + 1 : s;
  if (p >= e || e - p > 9 || b[p] === 0x30) return 0;
  let v = 0;
  for (; p < e; p++) {
    const d = b[p] - 0x30;
    if (d < 0 || d > 9) return 0;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** Canonical action keys → ids, reached from a line's raw action text or a parsed value. */
class ActionIds {
  private readonly byKey = new Map<string, number>();
  private readonly byRaw = new Map<string, number>();
  /** Nonzero int32 actions by value: their canonical key is their decimal text, so they need no text at all. */
  private readonly ints = new IntTable();
  private next = 0;

  /** The id of a canonical key. */
  id(key: string): number {
    if (PLAIN_INT.test(key)) return this.int(Number(key));
    let id = this.byKey.get(key);
    if (id === undefined) this.byKey.set(key, (id = this.next++));
    return id;
  }

  private int(n: number): number {
    let id = this.ints.get(n);
    if (id < 0) this.ints.set(n, (id = this.next++));
    return id;
  }

  /** The id of an action from its raw JSON text b[s..e) (latin1 keys the bytes one to one); −1 when it is not JSON. */
  raw(b: Buffer, s: number, e: number): number {
    const n = plainInt(b, s, e);
    if (n !== 0) return this.int(n);
    const raw = b.toString('latin1', s, e);
    let id = this.byRaw.get(raw);
    if (id === undefined) {
      try {
        id = this.id(canonicalJson(JSON.parse(b.toString('utf8', s, e))));
      } catch {
        return -1;
      }
      this.byRaw.set(raw, id);
    }
    return id;
  }
}

/** What `plainInt` reads, as text: a nonzero integer of at most 9 digits. */
const PLAIN_INT = /^-?[1-9]\d{0,8}$/;

/** Add step t with action id `a` to a lane: replay's rules (a gap is GAP; t not after the last step starts the lane over). */
function addStep(lane: LaneActions, t: number, a: number): void {
  if (!Number.isSafeInteger(t) || t < 1 || a < 0) {
    lane.bad = true;
    return;
  }
  if (t <= lane.len) lane.len = 0;
  if (lane.actions.length < t) {
    const bigger = new Int32Array(Math.max(t, lane.actions.length * 2));
    bigger.set(lane.actions.subarray(0, lane.len));
    lane.actions = bigger;
  }
  for (let g = lane.len; g < t - 1; g++) lane.actions[g] = GAP;
  lane.actions[t - 1] = a;
  lane.len = t;
}

export async function scanSteps(file: string, opts: ScanOptions = {}): Promise<StepScan> {
  const ranges = new Map<string, number[]>();
  const lanes = new Map<string, LaneActions>();
  const ids = opts.actions ? new ActionIds() : null;
  let lane: LaneActions | null = null;
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
    if (ids) {
      lane = lanes.get(id) ?? null;
      if (!lane) lanes.set(id, (lane = { len: 0, actions: new Int32Array(1024), bad: false }));
    }
  };

  /** The t and action of a line in the writers' layout, from the bytes after the id's closing quote at q; false when it is laid out otherwise. */
  const takeFast = (view: Buffer, q: number, e: number): boolean => {
    let p = q + 1;
    if (!at(view, p, T_KEY)) return false;
    p += T_KEY.length;
    let t = 0;
    const digits = p;
    while (p < e && view[p] >= 0x30 && view[p] <= 0x39) t = t * 10 + (view[p++] - 0x30);
    if (p === digits || p - digits > 15 || !at(view, p, ACTION_KEY)) return false;
    p += ACTION_KEY.length;
    const aEnd = valueEnd(view, p, e);
    if (aEnd < 0) return false;
    addStep(lane!, t, ids!.raw(view, p, aEnd));
    return true;
  };
  /** The t and action of a parsed line. */
  const takeParsed = (rec: unknown) => {
    const r = rec as { t?: unknown; action?: unknown } | null;
    addStep(lane!, typeof r?.t === 'number' ? r.t : NaN, r?.action === undefined ? -1 : ids!.id(canonicalJson(r.action)));
  };
  const takeLine = (view: Buffer, q: number, s: number, e: number) => {
    if (takeFast(view, q, e)) return;
    try {
      takeParsed(JSON.parse(view.toString('utf8', s, e)));
    } catch {
      lane!.bad = true;
    }
  };

  const lines = await forEachLine(
    file,
    (view, s, e, lineNo, start, last) => {
      if (e === s) return;
      const end = start + (e - s) + (last ? 0 : 1);
      const idStart = s + PREFIX.length;
      if (e > idStart && at(view, s, PREFIX)) {
        // The id's closing quote; an escape inside the id sends the line to the parser.
        let q = idStart;
        while (q < e && view[q] !== QUOTE && view[q] !== BACKSLASH) q++;
        if (q < e && view[q] === QUOTE) {
          if (cur !== null && q - idStart === curId.length && at(view, idStart, curId) && cur[curAt + 1] === start) {
            // A torn final line (a crash mid-write) is skipped.
            if (last && !isJson(view, s, e)) return void torn++;
            cur[curAt + 1] = end;
            cur[curAt + 2]++;
            if (ids) takeLine(view, q, s, e);
            return;
          }
          if (last && !isJson(view, s, e)) return void torn++;
          startRun(view.toString('utf8', idStart, q), view.subarray(idStart, q), start, end);
          if (ids) takeLine(view, q, s, e);
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
      if (ids) takeParsed(rec);
    },
    { onProgress: opts.onProgress },
  );
  return { ranges, lanes, lines, tornLines: torn };
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
