/**
 * Prefix survival (spec A): rollouts are grouped by their whole action
 * prefix a(1..t), the class chained step by step from the class at t−1 and
 * the action at t. Class ids are assigned exactly, so the chained "hash" is
 * collision-free. After a rollout ends its action is END, so two rollouts
 * that ended at the same step with the same prefix stay together. Pure.
 */

/** The action id of a rollout that has ended. */
export const END = -1;

export interface PrefixStep {
  /** S(t) = Σ_g m_g(m_g−1) / (N(N−1)); null when N < 2. */
  readonly survival: number | null;
  readonly distinctPrefixes: number;
  /** Largest class over N; null when N = 0. */
  readonly modalShare: number | null;
}

export class PrefixTracker {
  private cls: Int32Array;
  private nextCls: Int32Array;
  /**
   * Per class at t−1: the first action seen at t (stamped with the step, so
   * nothing is cleared) and the class it leads to. A class whose rollouts
   * all agree at t (every step but a divergence) needs nothing more; the
   * other (class, action) pairs go through `ids`. New class ids are handed
   * out in the order the pairs first occur, as one map over all pairs would.
   */
  private firstAction: Int32Array;
  private firstNext: Int32Array;
  private stamp: Int32Array;
  private steps = 0;
  private readonly ids = new Map<number, number>();
  /** Class sizes at t (as many as there are classes). */
  private readonly sizes: Int32Array;

  /** `actionIds` bounds the action ids passed to `step` (ids in [0, actionIds) or END). */
  constructor(
    readonly n: number,
    private readonly actionIds: number,
  ) {
    if (n * (actionIds + 1) > Number.MAX_SAFE_INTEGER) throw new RangeError('too many prefix classes to key exactly');
    this.cls = new Int32Array(n);
    this.nextCls = new Int32Array(n);
    this.firstAction = new Int32Array(Math.max(1, n));
    this.firstNext = new Int32Array(Math.max(1, n));
    this.stamp = new Int32Array(Math.max(1, n));
    this.sizes = new Int32Array(Math.max(1, n));
  }

  /** Advance one step: `actions[r]` is rollout r's action id at t, or END. */
  step(actions: ArrayLike<number>): PrefixStep {
    const { n, ids, sizes, cls, nextCls, firstAction, firstNext, stamp } = this;
    const width = this.actionIds + 1;
    const now = ++this.steps;
    // Neither is reallocated per step: clearing an empty Map and emptying an array both would.
    if (ids.size > 0) ids.clear();
    let classes = 0;
    for (let r = 0; r < n; r++) {
      const c = cls[r];
      const a = actions[r];
      let id: number;
      if (stamp[c] !== now) {
        stamp[c] = now;
        firstAction[c] = a;
        id = firstNext[c] = classes;
        sizes[classes++] = 0;
      } else if (firstAction[c] === a) id = firstNext[c];
      else {
        const key = c * width + (a + 1);
        const known = ids.get(key);
        if (known === undefined) {
          id = classes;
          ids.set(key, id);
          sizes[classes++] = 0;
        } else id = known;
      }
      sizes[id]++;
      nextCls[r] = id;
    }
    this.cls = nextCls;
    this.nextCls = cls;
    // pairAgreement of the sizes, without a copy of them: Σ m(m−1) is an integer, exact in any order.
    let modal = 0;
    let pairs = 0;
    for (let i = 0; i < classes; i++) {
      const m = sizes[i];
      if (m > modal) modal = m;
      pairs += m * (m - 1);
    }
    return { survival: n < 2 ? null : pairs / (n * (n - 1)), distinctPrefixes: classes, modalShare: n > 0 ? modal / n : null };
  }
}

/**
 * Survival curve of whole action sequences (canonical keys), t = 1..max length.
 * A convenience over PrefixTracker for small inputs and tests.
 */
export function prefixCurve(sequences: readonly (readonly string[])[]): PrefixStep[] {
  const ids = new Map<string, number>();
  const coded = sequences.map((seq) =>
    seq.map((a) => {
      let id = ids.get(a);
      if (id === undefined) ids.set(a, (id = ids.size));
      return id;
    }),
  );
  const T = Math.max(0, ...coded.map((s) => s.length));
  const tracker = new PrefixTracker(coded.length, Math.max(1, ids.size));
  const out: PrefixStep[] = [];
  const row = new Int32Array(coded.length);
  for (let t = 1; t <= T; t++) {
    coded.forEach((s, r) => (row[r] = t <= s.length ? s[t - 1] : END));
    out.push(tracker.step(row));
  }
  return out;
}
