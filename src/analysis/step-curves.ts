/**
 * Per-step curves of one group (spec A, and B at each step), computed from
 * its stored steps once they are all in.
 *
 * Who counts at step t: action agreement, entropy and per-step bias/variance
 * use the rollouts alive at t (those that took an action at t); survival
 * counts all N rollouts, ended ones with the action END; state divergence
 * counts all rollouts at their state at t, an ended rollout staying at its
 * final state. With one alive rollout only the per-step error is given;
 * bias², variance and incoherence need two.
 */
import type { OutcomeKind } from '../core/index.js';
import {
  END,
  PrefixTracker,
  decompose,
  entropyBits,
  errorFloor,
  featureDivergence,
  hashDivergence,
  hazard,
  incoherence,
  pairAgreement,
  type DecomposeOptions,
  type Decomposition,
} from '../metrics/index.js';
import type { GroupStep } from './document.js';
import type { GroupSteps } from './step-store.js';

export interface GroupCurves {
  readonly steps: GroupStep[];
  /** Steps matching the oracle, and steps with an oracle action, over the group. */
  readonly matches: number;
  readonly oracleSteps: number;
  /** The last step replayed from a fork prefix, over the group's rollouts. */
  readonly forkStep: number;
  /** Rollouts with fewer step lines than their rollout line records. */
  readonly shortRollouts: number;
  /** Per-step error at or below this counts as none (`errorFloor` of the measure kind). */
  readonly measureFloor: number;
}

export function groupCurves(gs: GroupSteps, measureKind: OutcomeKind | null, options: DecomposeOptions = {}): GroupCurves {
  const rs = gs.rollouts;
  const N = rs.length;
  let T = 0;
  let matches = 0;
  let oracleSteps = 0;
  let forkStep = 0;
  for (const r of rs) {
    if (r.len > T) T = r.len;
    matches += r.matches;
    oracleSteps += r.oracleSteps;
    if (r.replayed > forkStep) forkStep = r.replayed;
  }
  const hasOracle = oracleSteps > 0;
  const tracker = new PrefixTracker(N, Math.max(1, gs.actionCount));
  const row = new Int32Array(N);
  // Action counts at t, listed in the order actions first occur in the row
  // (the order the agreement and entropy sums take, as a Map's would).
  const countOf = new Int32Array(Math.max(1, gs.actionCount));
  const seen = new Int32Array(N);
  const counts: number[] = [];
  const df = gs.featureDim;
  const dm = gs.measureDim;
  const featBuf = df > 0 ? new Float64Array(N * df) : null;
  const hashBuf = new Float64Array(N);
  const measBuf = measureKind && dm > 0 ? new Float64Array(N * dm) : null;
  let prevS: number | null = N >= 2 ? 1 : null;
  const steps: GroupStep[] = [];

  for (let t = 1; t <= T; t++) {
    let alive = 0;
    let distinct = 0;
    for (let r = 0; r < N; r++) {
      if (rs[r].len >= t) {
        const a = rs[r].actions[t - 1];
        row[r] = a;
        if (countOf[a]++ === 0) seen[distinct++] = a;
        alive++;
      } else row[r] = END;
    }
    counts.length = distinct;
    for (let i = 0; i < distinct; i++) {
      counts[i] = countOf[seen[i]];
      countOf[seen[i]] = 0;
    }
    const prefix = tracker.step(row);

    let stateDivergence: number | null;
    if (featBuf) {
      let k = 0;
      for (const r of rs) {
        const f = r.features;
        if (r.len === 0 || !f) continue;
        const at = (Math.min(t, r.len) - 1) * df;
        if (Number.isNaN(f[at])) continue;
        for (let j = 0; j < df; j++) featBuf[k * df + j] = f[at + j];
        k++;
      }
      stateDivergence = featureDivergence(featBuf, k, df);
    } else {
      let k = 0;
      for (const r of rs) {
        if (r.len === 0) continue;
        const h = r.states[Math.min(t, r.len) - 1];
        if (!Number.isNaN(h)) hashBuf[k++] = h;
      }
      stateDivergence = hashDivergence(hashBuf.subarray(0, k));
    }

    let dec: Decomposition | null = null;
    let measured = 0;
    if (measBuf && measureKind && gs.targets.length >= t * dm && !Number.isNaN(gs.targets[(t - 1) * dm])) {
      let k = 0;
      for (const r of rs) {
        const m = r.measures;
        if (r.len < t || !m) continue;
        const at = (t - 1) * dm;
        if (Number.isNaN(m[at])) continue;
        for (let j = 0; j < dm; j++) measBuf[k * dm + j] = m[at + j];
        k++;
      }
      measured = k;
      dec = decompose(measureKind, measBuf, k, dm, gs.targets.subarray((t - 1) * dm, t * dm), options);
    }
    // One measured rollout gives its error; the bias/variance split needs two.
    const split = measured >= 2 ? dec : null;

    let ok = 0;
    let judged = 0;
    for (const r of rs) {
      if (r.len < t) continue;
      const o = r.oracle[t - 1];
      if (o !== 0) judged++;
      if (o === 1) ok++;
    }
    let taskAccuracy: number | null = null;
    if (hasOracle && N > 0) {
      let clean = 0;
      for (const r of rs) if (r.firstMismatch > t) clean++;
      taskAccuracy = clean / N;
    }

    steps.push({
      t,
      alive,
      actionAgreement: pairAgreement(counts, alive),
      actionEntropy: entropyBits(counts, alive),
      survival: prefix.survival,
      hazard: hazard(prevS, prefix.survival),
      distinctPrefixes: prefix.distinctPrefixes,
      modalShare: prefix.modalShare,
      stateDivergence,
      taskAccuracy,
      stepAccuracy: judged > 0 ? ok / judged : null,
      biasSq: split ? split.biasSq : null,
      variance: split ? split.variance : null,
      error: dec ? dec.error : null,
      incoherence: split ? incoherence(split.variance, split.error, split.floor) : null,
    });
    prevS = prefix.survival;
  }
  let shortRollouts = 0;
  for (const r of rs) if (!r.complete) shortRollouts++;
  const measureFloor = measureKind && dm > 0 ? errorFloor(measureKind, dm, options.klDelta) : 0;
  return { steps, matches, oracleSteps, forkStep, shortRollouts, measureFloor };
}
