/**
 * One group's step lines, loaded by byte offset from the index: per lane
 * (rollout) the interned action and oracle of every step and where its line
 * is, so the detail pane re-reads a single line on demand. Memory is a few
 * typed arrays per step of this group, never the parsed records.
 */
import { canonicalJson, HotmessError } from '../../core/index.js';
import { forEachLine, openLog, stepFields, type StepFields } from '../../log/index.js';
import type { GroupRef } from './groups.js';
import { analyseLanes, type Divergence } from './lanes.js';
import type { IndexedRollout } from './run-index.js';

export const FLAG = { illegal: 1, invalid: 2, replayed: 4, missing: 8 } as const;

/** Key of a step the log does not hold (a gap): shared, so gaps never create divergence. */
export const MISSING_KEY = '\u0000missing';

export interface Lane {
  readonly rollout: IndexedRollout;
  /** Steps loaded: t = 1..len. */
  len: number;
  /** Interned action key per step (index t−1). */
  actions: Int32Array;
  /** Interned oracle key per step, −1 when none was logged. */
  oracle: Int32Array;
  flags: Uint8Array;
  /** Byte offset and length of each step's line in steps.jsonl. */
  offsets: Float64Array;
  sizes: Int32Array;
}

export interface GroupData {
  readonly ref: GroupRef;
  readonly lanes: readonly Lane[];
  /** Interned id → canonical action key. */
  readonly keys: readonly string[];
  /** The longest lane. */
  readonly T: number;
  readonly divergence: Divergence;
}

function newLane(rollout: IndexedRollout): Lane {
  const n = Math.max(1, rollout.length, rollout.steps);
  return { rollout, len: 0, actions: new Int32Array(n), oracle: new Int32Array(n).fill(-1), flags: new Uint8Array(n), offsets: new Float64Array(n), sizes: new Int32Array(n) };
}

function ensure(l: Lane, t: number): void {
  if (l.actions.length >= t) return;
  const n = Math.max(t, l.actions.length * 2);
  const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, fill = 0): T => {
    const b = new (a.constructor as new (n: number) => T)(n);
    b.set(a);
    if (fill !== 0) b.fill(fill, a.length);
    return b;
  };
  l.actions = grow(l.actions);
  l.oracle = grow(l.oracle, -1);
  l.flags = grow(l.flags);
  l.offsets = grow(l.offsets);
  l.sizes = grow(l.sizes);
}

/** Most bytes read at once for one range of a group's lines. */
const MAX_READ = 8 << 20;

export async function loadGroup(stepsFile: string, ref: GroupRef): Promise<GroupData> {
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const intern = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) {
      id = keys.length;
      ids.set(key, id);
      keys.push(key);
    }
    return id;
  };
  // Raw JSON text → id: a value seen before costs one map lookup; a new one is canonicalised.
  const raws = new Map<string, number>();
  const internRaw = (raw: string): number => {
    let id = raws.get(raw);
    if (id === undefined) {
      id = intern(canonicalJson(JSON.parse(raw)));
      raws.set(raw, id);
    }
    return id;
  };
  const parseStep = (text: string, offset: number): StepFields => {
    let rec: { t?: unknown; action?: unknown; oracle?: unknown; illegal?: unknown; invalid?: unknown; replayed?: unknown };
    try {
      rec = JSON.parse(text);
    } catch {
      throw new HotmessError('log', `${stepsFile}: corrupt step line at byte ${offset} (the run changed since it was indexed? delete RUN/.replay-index.json)`);
    }
    return {
      t: typeof rec.t === 'number' ? rec.t : NaN,
      action: canonicalJson(rec.action),
      oracle: rec.oracle === undefined ? null : canonicalJson(rec.oracle),
      illegal: rec.illegal !== undefined,
      invalid: rec.invalid !== undefined,
      replayed: rec.replayed === true,
    };
  };
  const fh = await openLog(stepsFile);
  const lanes: Lane[] = [];
  try {
    for (const r of ref.members) {
      let lane = newLane(r);
      for (let i = 0; i < r.ranges.length; i += 3) {
        const onLine = (buf: Buffer, s: number, e: number, _line: number, offset: number) => {
          if (e === s) return;
          const text = buf.toString('utf8', s, e);
          const size = e - s;
          const rec = stepFields(text) ?? parseStep(text, offset);
          const t = rec.t;
          if (!Number.isSafeInteger(t) || t < 1) throw new HotmessError('log', `${stepsFile}: step line at byte ${offset} of ${r.id}: "t" must be an integer ≥ 1`);
          // A rollout that starts over (an earlier attempt): keep only the new one.
          if (t <= lane.len) lane = newLane(r);
          ensure(lane, t);
          for (let g = lane.len; g < t - 1; g++) {
            lane.actions[g] = intern(MISSING_KEY);
            lane.flags[g] = FLAG.missing;
          }
          lane.actions[t - 1] = internRaw(rec.action);
          lane.oracle[t - 1] = rec.oracle === null ? -1 : internRaw(rec.oracle);
          lane.flags[t - 1] = (rec.illegal ? FLAG.illegal : 0) | (rec.invalid ? FLAG.invalid : 0) | (rec.replayed ? FLAG.replayed : 0);
          lane.offsets[t - 1] = offset;
          lane.sizes[t - 1] = size;
          lane.len = t;
        };
        await forEachLine(fh, onLine, { start: r.ranges[i], end: r.ranges[i + 1], chunk: MAX_READ, short: (at) => `steps.jsonl is shorter than its index (byte ${at}); delete RUN/.replay-index.json` });
      }
      lanes.push(lane);
    }
  } finally {
    await fh.close();
  }
  const T = lanes.reduce((m, l) => Math.max(m, l.len), 0);
  // Rollouts that ended in error are shown but, as in the analysis, never counted.
  const counted = lanes.filter((l) => l.rollout.termination !== 'error');
  return { ref, lanes, keys, T, divergence: analyseLanes(counted, keys.length, T) };
}
