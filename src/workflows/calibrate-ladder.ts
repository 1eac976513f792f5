/**
 * The planted scale ladder of `calibrate` (metrics spec H2): `mixed` agents
 * on quiz whose deviation rate and noise fall as power laws of scale,
 * rate(s) = r₀·s^(−α) and ε(s) = ε₀·s^(−β), with α > β. On quiz the outcome
 * split is closed-form (docs/paper.md): with N rollouts per group,
 *   E[Bias²] = r + (1−r)(ε² + ε(1−ε)/N),  E[Var] = (1−r)(N−1)/N·ε(1−ε).
 * The fitted log-log slopes must recover the slopes of these expected
 * values (within Z bootstrap standard errors), the verdict must be "bias
 * falls faster than variance", and the rung s = 1 must match its closed form.
 */
import { createRng, deriveSeed } from '../core/index.js';
import { parseScenario } from '../engine/index.js';
import { bootstrapStandardError, linearFit } from '../metrics/index.js';
import { withinSE, type CalibrationCheck } from './calibration-check.js';
import { type AnalysisDocument, VERDICTS } from '../analysis/index.js';

export const LADDER = { family: 'ladder', scales: [1, 2, 4, 8, 16], rate0: 0.2, alpha: 1, epsilon0: 0.1, beta: 0.5 } as const;

export const ladderRate = (s: number): number => LADDER.rate0 * s ** -LADDER.alpha;
export const ladderEpsilon = (s: number): number => LADDER.epsilon0 * s ** -LADDER.beta;

/** Expected plug-in Bias² and Var of `mixed {rate, epsilon}` on quiz with N rollouts per group. */
export function quizSplit(rate: number, epsilon: number, N: number): { biasSq: number; variance: number } {
  const noise = epsilon * (1 - epsilon);
  return { biasSq: rate + (1 - rate) * (epsilon ** 2 + noise / N), variance: ((1 - rate) * (N - 1) * noise) / N };
}

/** Log-log slopes of the closed-form expectations along the ladder. */
export function ladderSlopes(N: number): { betaBias: number; betaVariance: number } {
  const x = LADDER.scales.map((s) => Math.log(s));
  const split = LADDER.scales.map((s) => quizSplit(ladderRate(s), ladderEpsilon(s), N));
  return {
    betaBias: linearFit(x, split.map((v) => Math.log(v.biasSq)))!.slope,
    betaVariance: linearFit(x, split.map((v) => Math.log(v.variance)))!.slope,
  };
}

export function ladderScenario(quick: boolean) {
  return parseScenario({
    name: quick ? 'calibration-ladder-quick' : 'calibration-ladder',
    description: 'a planted scale ladder for `hotmess calibrate`',
    environment: 'quiz',
    params: { choices: 4 },
    horizons: [quick ? 24 : 40],
    instances: quick ? 16 : 30,
    rollouts: quick ? 20 : 30,
    seed: 2026,
    agents: LADDER.scales.map((s) => ({ name: `ladder-${s}`, kind: 'mixed', params: { rate: ladderRate(s), epsilon: ladderEpsilon(s) }, family: LADDER.family, scale: s })),
  });
}

export function checkLadder(doc: AnalysisDocument, o: { z: number; resamples: number }): { checks: CalibrationCheck[]; notes: string[] } {
  const N = doc.run.rollouts ?? 0;
  const checks: CalibrationCheck[] = [];
  const pooled = doc.scaling.find((e) => e.family === LADDER.family && e.horizon === null);
  if (!pooled) throw new Error(`calibration ladder run has no scaling entry for family ${LADDER.family}`);
  const want = ladderSlopes(N);
  // A 95% percentile interval spans about 2·1.96 standard errors.
  const seOf = (iv: readonly [number, number] | null) => (iv === null ? null : (iv[1] - iv[0]) / (2 * 1.96));
  const slope = (check: string, planted: number, recovered: number | null, iv: readonly [number, number] | null): CalibrationCheck =>
    withinSE('ladder', check, planted, recovered, seOf(iv), o.z, 'SE from the 95% cluster-bootstrap interval');
  checks.push(slope('β bias² (log-log slope)', want.betaBias, pooled.betaBias, pooled.ci.betaBias));
  checks.push(slope('β variance (log-log slope)', want.betaVariance, pooled.betaVariance, pooled.ci.betaVariance));
  checks.push({
    agent: 'ladder',
    check: 'verdict',
    planted: VERDICTS.bias,
    recovered: pooled.delta,
    tolerance: null,
    rule: 'the 95% interval of Δ = β_B − β_V is below 0',
    ok: pooled.verdict === VERDICTS.bias,
  });

  // The bottom rung's split against its closed form: mixed's bias² and variance.
  const s1 = LADDER.scales[0];
  const rung = `${LADDER.family}-${s1}`;
  const groups = doc.groups.filter((g) => g.agent === rung && g.outcome.biasSq !== null && g.outcome.variance !== null);
  const exp = quizSplit(ladderRate(s1), ladderEpsilon(s1), N);
  for (const key of ['biasSq', 'variance'] as const) {
    const mean = (idx: Iterable<number>) => {
      let s = 0;
      let k = 0;
      for (const i of idx) {
        s += groups[i].outcome[key]!;
        k++;
      }
      return k > 0 ? s / k : null;
    };
    const se = bootstrapStandardError(groups.length, mean, o.resamples, createRng(deriveSeed('calibration', 'ladder', key)));
    const check = key === 'biasSq' ? 'bias² = r + (1−r)(ε² + ε(1−ε)/N)' : 'variance = (1−r)(N−1)/N·ε(1−ε)';
    checks.push(withinSE(`mixed (${rung})`, check, exp[key], mean(groups.keys()), se, o.z, 'cluster bootstrap'));
  }
  const notes = [
    `ladder: rate = ${LADDER.rate0}·s^−${LADDER.alpha}, ε = ${LADDER.epsilon0}·s^−${LADDER.beta} at s = ${LADDER.scales.join(', ')}; the planted β are the log-log slopes of the closed-form E[Bias²] and E[Var] (${fmt(want.betaBias)}, ${fmt(want.betaVariance)}: the (1−r), ε² and 1/N terms bend the rates' exponents −${LADDER.alpha}, −${LADDER.beta}); Δ = ${fmt(pooled.delta)} [${fmt(pooled.ci.delta?.[0] ?? null)}, ${fmt(pooled.ci.delta?.[1] ?? null)}]`,
  ];
  return { checks, notes };
}

const fmt = (x: number | null) => (x === null ? '—' : String(Number(x.toPrecision(3))));
