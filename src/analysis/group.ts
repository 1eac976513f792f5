/**
 * One group's summary (section G `groups[]`): outcome decomposition, pass
 * curves, step accuracy and fits, plus the raw pieces the horizon pooling,
 * the groupings and the bootstrap reuse. Needs-two-rollouts metrics are
 * null when n < 2: bias², variance and incoherence (one rollout has no
 * spread, and its bias² would just repeat its error), the corrected values
 * and the 0-1 terms. Error = mean ‖y − y*‖² needs one rollout and is given.
 */
import {
  correct,
  decompose,
  fitAgreement,
  fitGrowth,
  fitErrorRateSlope,
  fitHazardSlope,
  h50Observed,
  incoherence,
  passAtK,
  passCurve,
  passHatK,
  stepAccuracy,
  zeroOne,
  type DecomposeOptions,
  type Decomposition,
} from '../metrics/index.js';
import type { OutcomeKind } from '../core/index.js';
import type { GroupSummary } from './document.js';
import type { GroupInfo } from './rollouts.js';
import type { GroupCurves } from './step-curves.js';

export interface GroupResult {
  readonly info: GroupInfo;
  readonly summary: GroupSummary;
  /** Plug-in decomposition of the final outcome; null when n < 2. */
  readonly outcome: Decomposition | null;
  /** The outcome error when n = 1 (a group with no decomposition); else null. */
  readonly singleError: number | null;
  readonly curves: GroupCurves;
  /** Outcome vectors, n × d row-major, in member order. */
  readonly values: Float64Array;
  readonly target: readonly number[];
}

/** `fallbackKind` names the outcome kind of a group with no usable rollouts (the manifest's). */
export function summarizeGroup(info: GroupInfo, curves: GroupCurves, options: DecomposeOptions, warn: (msg: string) => void, fallbackKind: OutcomeKind = 'squared'): GroupResult {
  const ms = info.members;
  const n = ms.length;
  const d = n > 0 ? ms[0].value.length : 0;
  const target = n > 0 ? ms[0].target : [];
  const values = new Float64Array(n * d);
  ms.forEach((m, r) => values.set(m.value, r * d));
  if (ms.some((m) => m.target.some((v, j) => v !== target[j]))) {
    warn(`group ${info.key}: rollouts log different outcome targets; the first rollout's target is used`);
  }
  const kind = n > 0 ? ms[0].kind : fallbackKind;
  const dec = n >= 2 ? decompose(kind, values, n, d, target, options) : null;
  const singleError = n === 1 ? (decompose(kind, values, n, d, target, options)?.error ?? null) : null;
  const corr = dec && kind !== 'kl' ? correct(dec, n) : null;
  const successes = ms.reduce((s, m) => s + (m.success ? 1 : 0), 0);
  const survival = curves.steps.map((s) => s.survival);
  const single = n > 0 ? [{ successes, n }] : [];
  const summary: GroupSummary = {
    agent: info.agent,
    horizon: info.horizon,
    instance: info.instance,
    n,
    errored: info.errored,
    successes,
    meanLength: n > 0 ? ms.reduce((s, m) => s + m.length, 0) / n : null,
    outcome: {
      kind,
      biasSq: dec ? dec.biasSq : null,
      variance: dec ? dec.variance : null,
      error: dec ? dec.error : singleError,
      incoherence: dec ? incoherence(dec.variance, dec.error, dec.floor) : null,
      corrected: {
        biasSq: corr ? corr.biasSq : null,
        variance: corr ? corr.variance : null,
        incoherence: corr && dec ? incoherence(corr.variance, dec.error, dec.floor) : null,
      },
      zeroOne: (n >= 2 ? zeroOne(ms.map((m) => m.answer), ms[0].targetAnswer) : null) ?? { bias: null, variance: null },
    },
    passK: passCurve(single, passHatK),
    passAtK: passCurve(single, passAtK),
    stepAccuracy: stepAccuracy(curves.matches, curves.oracleSteps),
    h50Observed: h50Observed(curves.steps.map((s) => s.taskAccuracy)),
    ...fitAgreement(survival),
    ...fitGrowth(curves.steps.map((s) => s.stateDivergence)),
    hazardSlope: fitHazardSlope(curves.steps.map((s) => s.hazard)),
    errorRateSlope: fitErrorRateSlope(curves.steps.map((s) => s.stepAccuracy)),
    steps: curves.steps,
  };
  return { info, summary, outcome: dec, singleError, curves, values, target };
}
