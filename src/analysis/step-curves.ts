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
  EntropyOfCounts,
  PrefixTracker,
  decompose,
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
import type { GroupSteps, RolloutSteps } from './step-store.js';

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

/**
 * Steps per block. A rollout's arrays are laid out by step, and a step's
 * curves need every rollout's value at that step: read in place, each step
 * touches N arrays far apart (slow beyond a few dozen rollouts). The
 * rollouts' values for a block of steps are first copied, each rollout's
 * run read in order, into small step-major buffers that stay in cache.
 */
const BLOCK = 16;

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
  // Rollouts still clean after t: N less those whose first mismatch is at or before t.
  const firstMismatches = new Int32Array(T + 2);
  if (hasOracle) for (const r of rs) if (r.firstMismatch <= T) firstMismatches[r.firstMismatch]++;
  let clean = N;
  const tracker = new PrefixTracker(N, Math.max(1, gs.actionCount));
  const row = new Int32Array(N);
  // Action counts at t, listed in the order actions first occur in the row
  // (the order the agreement and entropy sums take, as a Map's would).
  const countOf = new Int32Array(Math.max(1, gs.actionCount));
  const seen = new Int32Array(N);
  const counts: number[] = [];
  const entropy = new EntropyOfCounts();
  const df = gs.featureDim;
  const dm = gs.measureDim;
  const targets = gs.targets;
  const measuring = measureKind !== null && dm > 0;
  const block = new StepBlock(N, df, measuring ? dm : 0);
  const { actions: bActs, oracle: bOracle, feats: bFeat, measures: bMeas } = block;
  const featBuf = df > 0 ? new Float64Array(N * df) : null;
  const hashBuf = new Float64Array(N);
  const measBuf = measuring ? new Float64Array(N * dm) : null;
  let prevS: number | null = N >= 2 ? 1 : null;
  const steps: GroupStep[] = [];

  for (let t0 = 0; t0 < T; t0 += BLOCK) {
    const nb = Math.min(BLOCK, T - t0);
    for (let r = 0; r < N; r++) block.fill(rs[r], r, t0, nb);
    for (let b = 0; b < nb; b++) {
      const t = t0 + b + 1;
      const base = b * N;
      let alive = 0;
      let distinct = 0;
      let ok = 0;
      let judged = 0;
      for (let r = 0; r < N; r++) {
        const a = bActs[base + r];
        row[r] = a;
        if (a === END) continue;
        if (countOf[a]++ === 0) seen[distinct++] = a;
        alive++;
        const o = bOracle[base + r];
        if (o !== 0) judged++;
        if (o === 1) ok++;
      }
      counts.length = distinct;
      for (let i = 0; i < distinct; i++) {
        counts[i] = countOf[seen[i]];
        countOf[seen[i]] = 0;
      }
      const prefix = tracker.step(row);

      let stateDivergence: number | null;
      let k = 0;
      if (featBuf) {
        for (let r = 0; r < N; r++) {
          const at = (base + r) * df;
          if (Number.isNaN(bFeat[at])) continue;
          for (let j = 0; j < df; j++) featBuf[k * df + j] = bFeat[at + j];
          k++;
        }
        stateDivergence = featureDivergence(featBuf, k, df);
      } else {
        for (let r = 0; r < N; r++) {
          const h = bFeat[base + r];
          if (!Number.isNaN(h)) hashBuf[k++] = h;
        }
        stateDivergence = hashDivergence(hashBuf.subarray(0, k));
      }

      let dec: Decomposition | null = null;
      let measured = 0;
      if (bMeas && measBuf && measureKind && targets.length >= t * dm && !Number.isNaN(targets[(t - 1) * dm])) {
        for (let r = 0; r < N; r++) {
          const at = (base + r) * dm;
          if (Number.isNaN(bMeas[at])) continue;
          for (let j = 0; j < dm; j++) measBuf[measured * dm + j] = bMeas[at + j];
          measured++;
        }
        dec = decompose(measureKind, measBuf, measured, dm, targets.subarray((t - 1) * dm, t * dm), options);
      }
      // One measured rollout gives its error; the bias/variance split needs two.
      const split = measured >= 2 ? dec : null;
      let taskAccuracy: number | null = null;
      if (hasOracle && N > 0) {
        clean -= firstMismatches[t];
        taskAccuracy = clean / N;
      }

      steps.push({
        t,
        alive,
        actionAgreement: pairAgreement(counts, alive),
        actionEntropy: entropy.bits(counts, distinct, alive),
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
  }
  let shortRollouts = 0;
  for (const r of rs) if (!r.complete) shortRollouts++;
  const measureFloor = measureKind && dm > 0 ? errorFloor(measureKind, dm, options.klDelta) : 0;
  return { steps, matches, oracleSteps, forkStep, shortRollouts, measureFloor };
}

/** One block of steps of a group, step-major: [b][r] (vectors [b][r][j]); NaN marks a rollout a step does not count. */
class StepBlock {
  readonly actions: Int32Array;
  readonly oracle: Uint8Array;
  /** Features (df > 0), else state hashes. */
  readonly feats: Float64Array;
  readonly measures: Float64Array | null;
  constructor(
    private readonly n: number,
    private readonly df: number,
    private readonly dm: number,
  ) {
    this.actions = new Int32Array(BLOCK * n);
    this.oracle = new Uint8Array(BLOCK * n);
    this.feats = new Float64Array(BLOCK * n * Math.max(1, df));
    this.measures = dm > 0 ? new Float64Array(BLOCK * n * dm) : null;
  }

  /**
   * Rollout r's steps t0+1 … t0+nb: its action (END once it has ended) and
   * oracle verdict; its features (or state hash) at the step, an ended
   * rollout staying at its final one; its measure while alive.
   */
  fill(ro: RolloutSteps, r: number, t0: number, nb: number): void {
    const { n, df, dm } = this;
    const len = ro.len;
    const live = Math.max(0, Math.min(nb, len - t0));
    const src = ro.actions;
    const orc = ro.oracle;
    const acts = this.actions;
    const oracle = this.oracle;
    for (let b = 0; b < live; b++) {
      acts[b * n + r] = src[t0 + b];
      oracle[b * n + r] = orc[t0 + b];
    }
    for (let b = live; b < nb; b++) {
      acts[b * n + r] = END;
      oracle[b * n + r] = 0;
    }
    const feats = this.feats;
    if (df > 0) {
      const f = ro.features;
      for (let b = 0; b < nb; b++) {
        const to = (b * n + r) * df;
        if (len === 0 || f === null) {
          feats[to] = NaN;
          continue;
        }
        const from = (Math.min(t0 + b + 1, len) - 1) * df;
        for (let j = 0; j < df; j++) feats[to + j] = f[from + j];
      }
    } else {
      const states = ro.states;
      for (let b = 0; b < nb; b++) feats[b * n + r] = len === 0 ? NaN : states[Math.min(t0 + b + 1, len) - 1];
    }
    const meas = this.measures;
    if (meas !== null) {
      const m = ro.measures;
      for (let b = 0; b < nb; b++) {
        const to = (b * n + r) * dm;
        if (b >= live || m === null) meas[to] = NaN;
        else for (let j = 0; j < dm; j++) meas[to + j] = m[(t0 + b) * dm + j];
      }
    }
  }
}
