/**
 * What the lanes show, shared by the ink view and the plain rendering:
 * which lanes and steps pass the filters, and each cell's label and class.
 * Pure.
 */
import { FLAG, type GroupData, type Lane } from './group-data.js';
import { actionLabel } from './format.js';

/**
 * A cell against the group's modal action at t and the oracle:
 * `agree` both; `shared` modal but not the oracle (the group errs together:
 * bias); `lone-right` off the mode but right; `lone-wrong` off both;
 * `modal`/`off` when no oracle is logged; `ended` when the rollout has no step t.
 */
export type CellKind = 'agree' | 'shared' | 'lone-right' | 'lone-wrong' | 'modal' | 'off' | 'ended';

export interface CellView {
  readonly label: string;
  readonly kind: CellKind;
  /** The environment refused the action (illegal or invalid). */
  readonly refused: boolean;
}

// Labels per interned action, computed once per group: a cell is drawn many times.
const labels = new WeakMap<readonly string[], string[]>();
function labelOf(keys: readonly string[], id: number): string {
  let cache = labels.get(keys);
  if (!cache) {
    cache = [];
    labels.set(keys, cache);
  }
  return (cache[id] ??= actionLabel(keys[id]));
}

export function cellAt(group: GroupData, lane: Lane, t: number): CellView {
  if (t > lane.len) return { label: '·', kind: 'ended', refused: false };
  const a = lane.actions[t - 1];
  const o = lane.oracle[t - 1];
  const modal = group.divergence.modal[t - 1] === a;
  const kind: CellKind = o < 0 ? (modal ? 'modal' : 'off') : a === o ? (modal ? 'agree' : 'lone-right') : modal ? 'shared' : 'lone-wrong';
  return { label: labelOf(group.keys, a), kind, refused: (lane.flags[t - 1] & (FLAG.illegal | FLAG.invalid)) !== 0 };
}

/** Plain-text markers: `*` not the oracle, `~` not the modal action, `!` refused. */
export function cellMarks(c: CellView): string {
  if (c.kind === 'ended') return '';
  const notOracle = c.kind === 'shared' || c.kind === 'lone-wrong';
  const notModal = c.kind === 'lone-right' || c.kind === 'lone-wrong' || c.kind === 'off';
  return (notOracle ? '*' : '') + (notModal ? '~' : '') + (c.refused ? '!' : '');
}

/** The rollout ended in `error` (agent or infrastructure): not a failure, and never compared. */
export const errored = (lane: Lane): boolean => lane.rollout.termination === 'error';

/** The rollout ran to an end without success. An errored rollout is not a failure. */
export const failed = (lane: Lane): boolean => lane.rollout.success !== true && !errored(lane);

/** Every rollout of the group errored: there is nothing to compare. */
export const allErrored = (group: GroupData): boolean => group.lanes.length > 0 && group.lanes.every(errored);

/** Lanes the `failed` filter keeps: every rollout without success, failed or errored. */
const unsuccessful = (lane: Lane): boolean => lane.rollout.success !== true;

/** Indices of the lanes to show. */
export function visibleLanes(group: GroupData, failedOnly: boolean): number[] {
  const out: number[] = [];
  group.lanes.forEach((l, i) => {
    if (!failedOnly || unsuccessful(l)) out.push(i);
  });
  return out;
}

/** The steps shown, ascending: all of 1..T, or only the divergence steps. */
export interface StepAxis {
  readonly count: number;
  /** The i-th shown step (0-based). */
  at(i: number): number;
  /** Position of the shown step nearest to t (the first at or after it, else the last). */
  nearest(t: number): number;
}

export function stepAxis(group: GroupData, divergentOnly: boolean): StepAxis {
  if (!divergentOnly) {
    const T = group.T;
    return { count: T, at: (i) => i + 1, nearest: (t) => Math.max(0, Math.min(T - 1, t - 1)) };
  }
  const steps = group.divergence.steps;
  return {
    count: steps.length,
    at: (i) => steps[i],
    nearest: (t) => {
      let lo = 0;
      let hi = steps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (steps[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      return Math.max(0, Math.min(steps.length - 1, lo));
    },
  };
}
