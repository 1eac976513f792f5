/**
 * Where a group's rollouts come apart. Rollouts are classed by their whole
 * action prefix, exactly as survival S(t) is (metrics spec A; an ended
 * rollout takes the action END): a divergence step is one where the number
 * of prefix classes grows, i.e. some rollouts that agreed on every action
 * so far choose differently. The first divergence is the first t with
 * S(t) < 1. The modal action at t is the most frequent action among the
 * rollouts alive at t (ties: the one of the lowest rollout index). Pure.
 */
import { END, PrefixTracker } from '../../metrics/index.js';

export interface LaneActions {
  readonly len: number;
  readonly actions: Int32Array;
}

export interface Divergence {
  /** Modal action id at t (index t−1), −1 when no rollout is alive. */
  readonly modal: Int32Array;
  /** Prefix classes after step t (index t−1). */
  readonly classes: Int32Array;
  /** Steps where the number of prefix classes grows, ascending. */
  readonly steps: readonly number[];
  readonly first: number | null;
}

export function analyseLanes(lanes: readonly LaneActions[], actionIds: number, T: number): Divergence {
  const n = lanes.length;
  const modal = new Int32Array(T).fill(-1);
  const classes = new Int32Array(T);
  const steps: number[] = [];
  const tracker = new PrefixTracker(n, Math.max(1, actionIds));
  const row = new Int32Array(n);
  const counts = new Map<number, number>();
  let prev = 1;
  for (let t = 1; t <= T; t++) {
    counts.clear();
    for (let r = 0; r < n; r++) {
      const l = lanes[r];
      if (l.len >= t) {
        const a = l.actions[t - 1];
        row[r] = a;
        counts.set(a, (counts.get(a) ?? 0) + 1);
      } else row[r] = END;
    }
    let best = -1;
    let bestCount = 0;
    for (let r = 0; r < n; r++) {
      if (row[r] === END) continue;
      const c = counts.get(row[r])!;
      if (c > bestCount) {
        best = row[r];
        bestCount = c;
      }
    }
    modal[t - 1] = best;
    const { distinctPrefixes } = tracker.step(row);
    classes[t - 1] = distinctPrefixes;
    if (distinctPrefixes > prev) steps.push(t);
    prev = distinctPrefixes;
  }
  return { modal, classes, steps, first: steps.length > 0 ? steps[0] : null };
}

/**
 * `analyseLanes(...).first` without the rest: before the first divergence
 * every rollout shares one prefix, so it is the first step whose actions
 * (END for an ended rollout) are not all equal. Stops there: O(N × first).
 */
export function firstDivergence(lanes: readonly LaneActions[]): number | null {
  const n = lanes.length;
  if (n < 2) return null;
  let T = 0;
  for (const l of lanes) if (l.len > T) T = l.len;
  for (let t = 1; t <= T; t++) {
    const l0 = lanes[0];
    const a = l0.len >= t ? l0.actions[t - 1] : END;
    for (let r = 1; r < n; r++) {
      const l = lanes[r];
      if ((l.len >= t ? l.actions[t - 1] : END) !== a) return t;
    }
  }
  return null;
}

/** How a cell compares with the group's modal action and with the oracle. */
export interface CellClass {
  readonly modal: boolean;
  /** null when the step logs no oracle action. */
  readonly oracle: boolean | null;
}

export function classifyCell(action: number, oracle: number, modal: number): CellClass {
  return { modal: action === modal, oracle: oracle < 0 ? null : action === oracle };
}

/** The next (dir 1) or previous (dir −1) divergence step from t, or null. */
export function nextDivergence(steps: readonly number[], t: number, dir: 1 | -1): number | null {
  if (dir === 1) {
    for (const s of steps) if (s > t) return s;
    return null;
  }
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i] < t) return steps[i];
  return null;
}
