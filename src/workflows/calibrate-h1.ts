/**
 * Calibration checks of metrics spec H1 on the maze calibration run (m = 4
 * legal actions at every state): `drifting`, whose pair hazard rises with
 * the step, and `mixed`'s divergence and step accuracy. Each
 * recovered value is compared with its closed form, the tolerance being
 * Z cluster-bootstrap standard errors over instances.
 */
import { createRng, deriveSeed } from '../core/index.js';
import { bootstrapStandardError, fitAgreement, fitErrorRateSlope, fitHazardSlope, fitSlope } from '../metrics/index.js';
import { withinSE, type CalibrationCheck } from './calibration-check.js';
import { type AnalysisDocument, type GroupSummary, poolSteps } from '../analysis/index.js';

/** The planted parameters, shared by the scenario and the checks. */
export const DRIFTING = { epsilon0: 0.02, slope: 0.01, cap: 0.5 } as const;
export const MIXED = { rate: 0.1, epsilon: 0.1 } as const;

/** Pair agreement on a state with a unique oracle action among m: q = (1−ε)² + ε²/(m−1). */
export const pairAgreement = (epsilon: number, m: number): number => (1 - epsilon) ** 2 + epsilon ** 2 / (m - 1);

/** ε(t) = min(ε₀ + slope·(t−1), cap). */
export const driftRate = (t: number, d: { epsilon0: number; slope: number; cap: number }): number => Math.min(d.epsilon0 + d.slope * (t - 1), d.cap);

/** Closed forms of drifting over t = 1..H: S(t) = Π q(τ), h(t) = 1 − q(t). */
export function driftingClosedForm(H: number, m: number, d: { epsilon0: number; slope: number; cap: number }) {
  const hazard: number[] = [];
  const survival: number[] = [];
  const errorRate: number[] = [];
  let s = 1;
  for (let t = 1; t <= H; t++) {
    const q = pairAgreement(driftRate(t, d), m);
    s *= q;
    survival.push(s);
    hazard.push(1 - q);
    errorRate.push(driftRate(t, d));
  }
  return { survival, hazard, hazardSlope: fitSlope(hazard)!, errorRateSlope: fitSlope(errorRate)!, survivalEnd: s };
}

export interface H1Options {
  readonly m: number;
  readonly z: number;
  readonly resamples: number;
}

export function checkH1(doc: AnalysisDocument, o: H1Options): CalibrationCheck[] {
  const checks: CalibrationCheck[] = [];
  const cell = (agent: string) => {
    const h = doc.horizons.find((x) => x.agent === agent);
    if (!h) throw new Error(`calibration run has no agent ${agent}`);
    return { h, groups: doc.groups.filter((g) => g.agent === agent) };
  };
  const se = (groups: readonly GroupSummary[], p: number | null, stat: (s: ReturnType<typeof poolSteps>) => number | null, salt: string) =>
    bootstrapStandardError(groups.length, (idx) => stat(poolSteps([...idx].map((i) => groups[i]), p)), o.resamples, createRng(deriveSeed('calibration', salt)));
  const within = (agent: string, check: string, planted: number, recovered: number | null, s: number | null): CalibrationCheck => withinSE(agent, check, planted, recovered, s, o.z, 'cluster bootstrap');

  // drifting: S(H) = Π q(τ); hazard and error rate rise with the closed-form slopes.
  const d = cell('drifting');
  const H = d.h.horizon;
  const cf = driftingClosedForm(H, o.m, DRIFTING);
  const sAt = (s: ReturnType<typeof poolSteps>) => (s.length >= H ? s[H - 1].survival : null);
  checks.push(within('drifting', `S(${H}) = Π q(τ)`, cf.survivalEnd, sAt(d.h.steps), se(d.groups, d.h.stepAccuracy, sAt, 'drift-s')));
  checks.push(within('drifting', 'hazard slope (rising)', cf.hazardSlope, d.h.hazardSlope, se(d.groups, d.h.stepAccuracy, (s) => fitHazardSlope(s.map((x) => x.hazard)), 'drift-h')));
  checks.push(within('drifting', 'error-rate slope', cf.errorRateSlope, d.h.errorRateSlope, se(d.groups, d.h.stepAccuracy, (s) => fitErrorRateSlope(s.map((x) => x.stepAccuracy)), 'drift-e')));

  // mixed: q = rate + (1−rate)·q(ε) and p̂ = (1−rate)(1−ε). Its bias²/variance split is checked on quiz (calibrate-ladder).
  const x = cell('mixed');
  const qMixed = MIXED.rate + (1 - MIXED.rate) * pairAgreement(MIXED.epsilon, o.m);
  checks.push(within('mixed', 'q̂ = rate + (1−rate)·q(ε)', qMixed, x.h.q, se(x.groups, x.h.stepAccuracy, (s) => fitAgreement(s.map((v) => v.survival)).q, 'mixed-q')));
  const meanAcc = (idx: Iterable<number>) => {
    let s = 0;
    let k = 0;
    for (const i of idx) {
      const a = x.groups[i].stepAccuracy;
      if (a === null) continue;
      s += a;
      k++;
    }
    return k > 0 ? s / k : null;
  };
  const seAcc = bootstrapStandardError(x.groups.length, meanAcc, o.resamples, createRng(deriveSeed('calibration', 'mixed-p')));
  checks.push(within('mixed', 'p̂ = (1−rate)(1−ε)', (1 - MIXED.rate) * (1 - MIXED.epsilon), x.h.stepAccuracy, seAcc));
  return checks;
}
