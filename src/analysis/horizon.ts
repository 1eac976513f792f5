/**
 * One agent × horizon entry (section G `horizons[]`): the groups' outcome
 * decompositions pooled as means (incoherence as a ratio of sums), pass
 * curves, step accuracy, pooled per-step curves with their fits, and 95%
 * intervals from the cluster bootstrap over instances.
 */
import { createRng, deriveSeed } from '../core/index.js';
import {
  MAX_K,
  clusterBootstrap,
  fitAgreement,
  fitGrowth,
  fitErrorRateSlope,
  fitHazardSlope,
  h50Observed,
  h50Predicted,
  aggregate,
  passAtK,
  passCurve,
  passHatK,
  stepAccuracy,
  type RatioStat,
} from '../metrics/index.js';
import type { HorizonSummary } from './document.js';
import type { GroupResult } from './group.js';
import { poolSteps } from './pool.js';

export interface HorizonOptions {
  readonly resamples: number;
  readonly seed: string;
}

const meanOf = (xs: readonly number[]): number | null => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function summarizeHorizon(agent: string, horizon: number, groups: readonly GroupResult[], options: HorizonOptions): HorizonSummary {
  const sums = groups.map((g) => g.summary);
  const valid = groups.filter((g) => g.outcome !== null);
  const rollouts = sums.reduce((s, g) => s + g.n, 0);
  const pooled = aggregate(valid.map((g) => g.outcome));
  // A cell of one-rollout groups still has an error (no bias/variance split).
  const singles = groups.map((g) => g.singleError).filter((e): e is number => e !== null);
  // Corrected: the groups' corrected bias² and variance over their own error (both or neither are set).
  const corrected = aggregate(
    valid.map((g) => {
      const c = g.summary.outcome.corrected;
      return c.variance === null || c.biasSq === null ? null : { biasSq: c.biasSq, variance: c.variance, error: g.outcome!.error, floor: g.outcome!.floor };
    }),
  );
  const zo = sums.map((g) => g.outcome.zeroOne).filter((z) => z.bias !== null);
  const passGroups = sums.filter((g) => g.n > 0).map((g) => ({ successes: g.successes, n: g.n }));
  const matches = groups.reduce((s, g) => s + g.curves.matches, 0);
  const oracleSteps = groups.reduce((s, g) => s + g.curves.oracleSteps, 0);
  const p = stepAccuracy(matches, oracleSteps);
  const steps = poolSteps(
    groups.map((g) => ({ steps: g.summary.steps, n: g.summary.n, floor: g.curves.measureFloor })),
    p,
  );
  const lengthTotal = sums.reduce((s, g) => s + (g.meanLength ?? 0) * g.n, 0);
  return {
    agent,
    horizon,
    groups: groups.length,
    rollouts,
    errored: sums.reduce((s, g) => s + g.errored, 0),
    meanLength: rollouts > 0 ? lengthTotal / rollouts : null,
    outcomeKind: sums.find((g) => g.n > 0)?.outcome.kind ?? null,
    biasSq: pooled.biasSq,
    variance: pooled.variance,
    error: pooled.count > 0 ? pooled.error : meanOf(singles),
    incoherence: pooled.incoherence,
    corrected: { biasSq: corrected.biasSq, variance: corrected.variance, incoherence: corrected.incoherence },
    zeroOne: { bias: meanOf(zo.map((z) => z.bias!)), variance: meanOf(zo.map((z) => z.variance!)) },
    ci: bootstrapIntervals(agent, horizon, groups, options),
    passK: passCurve(passGroups, passHatK),
    passAtK: passCurve(passGroups, passAtK),
    stepAccuracy: p,
    h50Observed: h50Observed(steps.map((s) => s.taskAccuracy)),
    h50Predicted: h50Predicted(p),
    ...fitAgreement(steps.map((s) => s.survival)),
    ...fitGrowth(steps.map((s) => s.stateDivergence)),
    hazardSlope: fitHazardSlope(steps.map((s) => s.hazard)),
    errorRateSlope: fitErrorRateSlope(steps.map((s) => s.stepAccuracy)),
    steps,
  };
}

/**
 * Cluster bootstrap over the horizon's groups (one instance each). Every
 * statistic is a ratio of column sums, so a resample is G row additions.
 */
function bootstrapIntervals(agent: string, horizon: number, groups: readonly GroupResult[], options: HorizonOptions) {
  const K = Math.min(MAX_K, Math.max(0, ...groups.map((g) => g.summary.n)));
  const rows = groups.map((g) => {
    const o = g.outcome;
    const row = [o ? o.biasSq : 0, o ? o.variance : 0, o ? o.error : 0, o ? 1 : 0, g.curves.matches, g.curves.oracleSteps, o ? (o.floor ?? 0) : 0];
    for (let k = 1; k <= K; k++) {
      const v = passHatK(g.summary.successes, g.summary.n, k);
      row.push(v ?? 0, v === null ? 0 : 1);
    }
    return row;
  });
  const stats: RatioStat[] = [
    { name: 'incoherence', num: 1, den: 2, floor: 6 },
    { name: 'biasSq', num: 0, den: 3 },
    { name: 'variance', num: 1, den: 3 },
    { name: 'error', num: 2, den: 3 },
    { name: 'stepAccuracy', num: 4, den: 5 },
  ];
  for (let k = 1; k <= K; k++) stats.push({ name: `passK.${k}`, num: 5 + 2 * k, den: 6 + 2 * k });
  const rng = createRng(deriveSeed(options.seed, 'bootstrap', agent, horizon));
  return clusterBootstrap(rows, stats, options.resamples, rng);
}
