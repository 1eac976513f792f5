/**
 * Per-group storage of the step data the curves need, filled line by line
 * from steps.jsonl. Everything is numeric and typed: action keys are interned
 * per group, state hashes become 53-bit numbers, measures and features go in
 * flat Float64Arrays. Memory is O(steps of the group); a group is released as
 * soon as its last rollout's steps are in.
 */
import { HotmessError, IntTable, actionKey, hashString } from '../core/index.js';

/** Value kinds of a reader thread's action and oracle columns. */
export const KIND_NUMBER = 0;
export const KIND_STRING = 1;
/** Any other JSON value, as its JSON text in `strings`. */
export const KIND_JSON = 2;
export const KIND_ABSENT = 3;
/** Vector lengths in the columns: absent, or a bare number (one value) rather than an array. */
export const VEC_ABSENT = -1;
export const VEC_SCALAR = -2;

/** The step columns `addColumns` reads (a reader thread's SegmentColumns). */
export interface StepColumns {
  readonly t: Float64Array;
  /** Per line, action then oracle: kind (KIND_*), and the number or the index into `strings`. */
  readonly kinds: Uint8Array;
  readonly nums: Float64Array;
  readonly refs: Int32Array;
  readonly strings: readonly string[];
  readonly state: Float64Array;
  readonly replayed: Uint8Array;
  /** Per line, measure, target, features: a length or VEC_*; their values in `vec` from `vecAt`. */
  readonly vecLen: Int32Array;
  readonly vecAt: Int32Array;
  readonly vec: Float64Array;
}

/** The fields of a step line the analysis reads. */
export interface StepLine {
  readonly rollout: string;
  readonly t: number;
  readonly action: unknown;
  readonly oracle?: unknown;
  readonly state?: unknown;
  readonly measure?: unknown;
  readonly target?: unknown;
  readonly features?: unknown;
  readonly replayed?: unknown;
  /** The state as `stateNumber` gives it, when a reader thread computed it instead of passing `state`. */
  readonly stateNumber?: number;
}

/** What to do about a rollout whose steps do not run 1..length. */
export const INCOMPLETE_HINT = 'its steps must run 1..length (a full disk or an edit?); `run --resume` re-runs such a rollout';

export class RolloutSteps {
  len = 0;
  actions: Int32Array;
  states: Float64Array;
  /** Per step: 0 no oracle logged, 1 the action matched the oracle, 2 it did not. */
  oracle: Uint8Array;
  measures: Float64Array | null = null;
  features: Float64Array | null = null;
  firstMismatch = Infinity;
  matches = 0;
  oracleSteps = 0;
  /** Last step replayed from a fork prefix (0 when none). */
  replayed = 0;
  complete = false;
  constructor(capacity: number) {
    this.actions = new Int32Array(Math.max(1, capacity));
    this.states = new Float64Array(Math.max(1, capacity));
    this.oracle = new Uint8Array(Math.max(1, capacity));
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(arr: T, needed: number, fill = 0): T {
  if (arr.length >= needed) return arr;
  const next = new (arr.constructor as { new (n: number): T })(Math.max(needed, arr.length * 2));
  next.set(arr);
  if (fill !== 0) next.fill(fill, arr.length);
  return next;
}

/** State hashes (14 hex digits from hashString, < 2^53) as exact numbers; other strings are hashed first. */
export function stateNumber(s: unknown): number {
  if (typeof s !== 'string') return NaN;
  const v = Number('0x' + s);
  return Number.isSafeInteger(v) ? v : Number('0x' + hashString(s));
}

/** A number or an array of finite numbers as a vector; `false` for anything else. */
function vectorOf(v: unknown): readonly number[] | false {
  if (typeof v === 'number') return Number.isFinite(v) ? [v] : false;
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  return v as number[];
}

export class GroupSteps {
  readonly rollouts: RolloutSteps[];
  /** Action ids by canonical key; string and number actions skip canonicalisation (the hot path). */
  readonly actionIds = new Map<string, number>();
  private readonly stringIds = new Map<string, number>();
  private readonly numberIds = new Map<number, number>();
  private readonly intIds = new IntTable();
  private nextAction = 0;
  measureDim = -1;
  featureDim = -1;
  /** Per-step targets, row-major by t; NaN marks one not (yet) seen. */
  targets = new Float64Array(0);
  /** Rollouts whose steps are not all in yet. */
  private pending = 0;

  /**
   * `expected[slot]` is the length the rollout line records; `useStates`:
   * keep state hashes (when the environment gives no features).
   */
  constructor(
    private readonly expected: readonly number[],
    private readonly file: string,
    private readonly useStates = true,
  ) {
    this.rollouts = expected.map((l) => new RolloutSteps(l));
    this.rollouts.forEach((r, i) => {
      if (expected[i] === 0) r.complete = true;
      else this.pending++;
    });
  }

  get isComplete(): boolean {
    return this.pending === 0;
  }

  /** The first rollout (slot) with fewer step lines than its recorded length, or -1. */
  firstShort(): number {
    return this.rollouts.findIndex((r, i) => r.len < this.expected[i]);
  }

  /** Number of distinct actions seen (ids are 0..actionCount−1). */
  get actionCount(): number {
    return this.nextAction;
  }

  private idIn<K>(map: Map<K, number>, key: K): number {
    let id = map.get(key);
    if (id === undefined) {
      id = this.nextAction++;
      map.set(key, id);
    }
    return id;
  }

  /** The id of an action; equal ids ⇔ equal canonical keys. */
  /** The id of a small non-zero integer action, through the flat table. */
  private intActionId(action: number): number {
    let id = this.intIds.get(action);
    if (id < 0) {
      id = this.nextAction++;
      this.intIds.set(action, id);
    }
    return id;
  }

  private actionId(action: unknown): number {
    if (typeof action === 'string') return this.idIn(this.stringIds, action);
    if (typeof action === 'number') {
      // Small integers (most numeric actions) through a flat table; others (and −0, as 0) through the map.
      if ((action | 0) === action && action !== 0) return this.intActionId(action);
      if (Number.isFinite(action)) return this.idIn(this.numberIds, action === 0 ? 0 : action);
    }
    return this.idIn(this.actionIds, actionKey(action));
  }

  /** Add one step line of the rollout in `slot`. `line` names the place in errors. */
  add(slot: number, rec: StepLine, line: number): void {
    const r = this.rollouts[slot];
    const t = rec.t;
    if (t <= r.len) {
      if (t !== 1) throw new HotmessError('log', `${this.file}:${line}: step t=${t} of ${rec.rollout} repeats or goes back (after t=${r.len})`);
      // The rollout starts over (an earlier attempt): keep only the new one.
      this.rollouts[slot] = new RolloutSteps(this.expected[slot]);
      if (r.complete) this.pending++;
      return this.add(slot, rec, line);
    }
    const from = r.len;
    // A committed rollout's steps are 1..length, once each: a gap is lost data, never a divergence.
    if (t > from + 1) throw new HotmessError('log', `${this.file}:${line}: rollout ${rec.rollout} has no line for step ${from + 1} (the next is t=${t}); ${INCOMPLETE_HINT}`);
    if (t > this.expected[slot]) throw new HotmessError('log', `${this.file}:${line}: rollout ${rec.rollout} has a line for step ${t}, beyond its recorded length ${this.expected[slot]}; ${INCOMPLETE_HINT}`);
    // No growing: the arrays hold the recorded length, and t ≤ length was just checked.
    const action = rec.action;
    r.actions[t - 1] = this.actionId(action);
    const oracle = rec.oracle;
    if (oracle !== undefined) {
      r.oracleSteps++;
      const same = typeof action === 'object' || typeof oracle === 'object' ? actionKey(action) === actionKey(oracle) : action === oracle;
      if (same) r.matches++;
      else if (r.firstMismatch === Infinity) r.firstMismatch = t;
      r.oracle[t - 1] = same ? 1 : 2;
    } else r.oracle[t - 1] = 0;
    r.states[t - 1] = this.useStates ? (rec.stateNumber ?? stateNumber(rec.state)) : NaN;
    if (rec.replayed === true) r.replayed = t;
    if (rec.measure !== undefined) {
      const m = vectorOf(rec.measure);
      const target = rec.target === undefined ? null : vectorOf(rec.target);
      if (m === false || target === false) throw new HotmessError('log', `${this.file}:${line}: "measure" and "target" must be numbers or arrays of numbers`);
      this.storeMeasure(r, t, m, target, rec.rollout, line);
    }
    if (rec.features !== undefined) {
      const f = vectorOf(rec.features);
      if (f === false) throw new HotmessError('log', `${this.file}:${line}: "features" must be an array of numbers`);
      this.storeFeatures(r, t, f, rec.rollout, line);
    }
    r.len = t;
    if (!r.complete && t >= this.expected[slot]) {
      r.complete = true;
      this.pending--;
    }
  }

  /**
   * Records [i, end) of a reader thread's columns, all lines of the rollout
   * in `slot`, stored straight from the columns while they are the common
   * case: the next step of the rollout within its length, a number or
   * string action and oracle, no fork marker, vectors of the group's
   * dimensions with finite values. Stops at the first that is not, and
   * after a step that completes the rollout; returns how many it stored.
   * What it stores is what `add` stores for the same lines; `add` takes
   * the rest (and reports what is wrong with them).
   */
  addColumns(slot: number, c: StepColumns, i: number, end: number): number {
    const r = this.rollouts[slot];
    const expected = this.expected[slot];
    // Everything the loop touches in locals, the rollout's counters written back once: a field load or store per line costs more than the line's own work.
    const { t: ts, kinds, nums, refs, vecLen, vecAt, vec, state, replayed } = c;
    const actions = r.actions;
    const oracle = r.oracle;
    const states = r.states;
    const useStates = this.useStates;
    const refIds = this.refIdsOf(c);
    let measures = r.measures;
    let features = r.features;
    let targets = this.targets;
    let measureDim = this.measureDim;
    let featureDim = this.featureDim;
    let len = r.len;
    let matches = r.matches;
    let oracleSteps = r.oracleSteps;
    let firstMismatch = r.firstMismatch;
    let k = i;
    for (; k < end; k++) {
      const t = ts[k];
      if (t !== len + 1 || t > expected) break;
      const ak = kinds[2 * k];
      const ok = kinds[2 * k + 1];
      if (ak > KIND_STRING || ok === KIND_JSON || replayed[k] !== 0) break;
      let v = vecAt[k];
      const ml = vecLen[3 * k];
      const tl = vecLen[3 * k + 1];
      const fl = vecLen[3 * k + 2];
      // Measures: absent, or an array of the group's dimension (the first sets it) with a target of the same or none.
      if (ml === VEC_ABSENT ? tl !== VEC_ABSENT : ml < 0 || (measureDim !== -1 && ml !== measureDim) || (tl !== VEC_ABSENT && tl !== ml)) break;
      if (fl !== VEC_ABSENT && (fl < 0 || (featureDim !== -1 && fl !== featureDim))) break;
      const nv = (ml > 0 ? ml : 0) + (tl > 0 ? tl : 0) + (fl > 0 ? fl : 0);
      let finite = true;
      for (let j = 0; j < nv; j++) if (!Number.isFinite(vec[v + j])) finite = false;
      if (!finite) break;
      const at = t - 1;
      // The action's id: small integers through the flat table, strings once per distinct text of the range, anything else as `add` does.
      let id: number;
      if (ak === KIND_NUMBER) {
        const a = nums[2 * k];
        id = (a | 0) === a && a !== 0 ? this.intActionId(a) : this.actionId(a);
      } else {
        const ref = refs[2 * k];
        id = refIds[ref];
        if (id < 0) id = refIds[ref] = this.actionId(c.strings[ref]);
      }
      actions[at] = id;
      if (ok === KIND_ABSENT) oracle[at] = 0;
      else {
        oracleSteps++;
        // Strings of a range are interned: the same text has the same ref.
        const same = ok === ak && (ak === KIND_NUMBER ? nums[2 * k + 1] === nums[2 * k] : refs[2 * k + 1] === refs[2 * k]);
        if (same) matches++;
        else if (firstMismatch === Infinity) firstMismatch = t;
        oracle[at] = same ? 1 : 2;
      }
      states[at] = useStates ? state[k] : NaN;
      if (ml !== VEC_ABSENT) {
        const d = ml;
        if (measureDim === -1) measureDim = this.measureDim = d;
        if (!measures) measures = r.measures = new Float64Array(Math.max(actions.length, t) * d).fill(NaN);
        // Copied by hand: a subarray per step is an allocation per step.
        for (let j = 0; j < d; j++) measures[at * d + j] = vec[v + j];
        v += d;
        if (tl !== VEC_ABSENT) {
          if (targets.length < t * d) targets = this.targets = grow(targets, t * d, NaN);
          if (Number.isNaN(targets[at * d])) for (let j = 0; j < d; j++) targets[at * d + j] = vec[v + j];
          v += d;
        }
      }
      if (fl !== VEC_ABSENT) {
        const d = fl;
        if (featureDim === -1) featureDim = this.featureDim = d;
        if (!features) features = r.features = new Float64Array(Math.max(actions.length, t) * d).fill(NaN);
        for (let j = 0; j < d; j++) features[at * d + j] = vec[v + j];
      }
      len = t;
      if (t >= expected) {
        k++;
        break;
      }
    }
    r.len = len;
    r.matches = matches;
    r.oracleSteps = oracleSteps;
    r.firstMismatch = firstMismatch;
    if (!r.complete && len >= expected) {
      r.complete = true;
      this.pending--;
    }
    return k - i;
  }

  /** The columns whose string refs `refIds` maps, and per ref the action id (−1: not yet looked up). */
  private refCols: StepColumns | null = null;
  private refIds = new Int32Array(0);

  private refIdsOf(c: StepColumns): Int32Array {
    if (this.refCols !== c) {
      this.refCols = c;
      this.refIds = new Int32Array(c.strings.length).fill(-1);
    }
    return this.refIds;
  }

  private storeMeasure(r: RolloutSteps, t: number, m: readonly number[], target: readonly number[] | null, id: string, line: number): void {
    const d = m.length;
    if (this.measureDim === -1) this.measureDim = d;
    if (d !== this.measureDim || (target !== null && target.length !== d)) {
      throw new HotmessError('log', `${this.file}:${line}: measure of ${id} has ${d} values, target ${target?.length ?? 0}, expected ${this.measureDim}`);
    }
    // Sized for the recorded length (t ≤ length), as the actions are.
    if (!r.measures) r.measures = new Float64Array(Math.max(r.actions.length, t) * d).fill(NaN);
    for (let j = 0; j < d; j++) r.measures[(t - 1) * d + j] = m[j];
    if (target !== null) {
      this.targets = grow(this.targets, t * d, NaN);
      if (Number.isNaN(this.targets[(t - 1) * d])) for (let j = 0; j < d; j++) this.targets[(t - 1) * d + j] = target[j];
    }
  }

  private storeFeatures(r: RolloutSteps, t: number, f: readonly number[], id: string, line: number): void {
    const d = f.length;
    if (this.featureDim === -1) this.featureDim = d;
    if (d !== this.featureDim) throw new HotmessError('log', `${this.file}:${line}: features of ${id} have ${d} values, expected ${this.featureDim}`);
    if (!r.features) r.features = new Float64Array(Math.max(r.actions.length, t) * d).fill(NaN);
    for (let j = 0; j < d; j++) r.features[(t - 1) * d + j] = f[j];
  }
}
