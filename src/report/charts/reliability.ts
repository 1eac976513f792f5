/**
 * Reliability over repeated trials: pass^k against k, and task accuracy A(t)
 * next to the prediction p̂ᵗ from per-step accuracy (Sinha et al.). Pure.
 */
import type { AnalysisDocument, HorizonSummary } from '../../analysis/index.js';
import { chartOrSkip, HORIZON_COLOR, isNum, noCharts, perAgent, stepAxis, type ChartFamily, type ChartOptions } from './common.js';

export const MEASURED = 'measured A(t)';
export const PREDICTED = 'predicted p̂ᵗ';

/**
 * Points of p̂ᵗ: the analyzer's pooled `predictedAccuracy` where it has one,
 * else computed from `stepAccuracy` at t = 1…H (a run with no step curves).
 */
export function predictedAccuracy(row: HorizonSummary): { t: number; value: number }[] {
  if (row.steps.length > 0) return row.steps.flatMap((s) => (isNum(s.predictedAccuracy) ? [{ t: s.t, value: s.predictedAccuracy }] : []));
  const p = row.stepAccuracy;
  return isNum(p) ? Array.from({ length: row.horizon }, (_, i) => ({ t: i + 1, value: p ** (i + 1) })) : [];
}

export function reliabilityCharts(doc: AnalysisDocument, opts: ChartOptions = {}): ChartFamily {
  const out = noCharts();

  const pass: { agent: string; horizon: number; k: number; value: number }[] = [];
  for (const row of doc.horizons) {
    for (const [k, v] of Object.entries(row.passK)) {
      if (isNum(v) && Number.isFinite(Number(k))) pass.push({ agent: row.agent, horizon: row.horizon, k: Number(k), value: v });
    }
  }
  const passTitle = 'pass^k against k';
  chartOrSkip(out, 'pass-k', passTitle, pass.length === 0 ? 'no pass^k values' : null, () => ({
    caption: 'pass^k is the chance that all k independent tries of a task succeed (τ-bench). A steep fall with k means success is luck, not reliability.',
    spec: perAgent(passTitle, pass, {
      mark: { type: 'line', point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'k', type: 'quantitative', title: 'k (tries)', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: 'pass^k', scale: { domain: [0, 1] } },
        color: HORIZON_COLOR,
      },
    }),
  }));

  const acc: { agent: string; horizon: number; t: number; value: number; series: string }[] = [];
  for (const row of doc.horizons) {
    for (const s of row.steps) {
      if (isNum(s.taskAccuracy)) acc.push({ agent: row.agent, horizon: row.horizon, t: s.t, value: s.taskAccuracy, series: MEASURED });
    }
    for (const p of predictedAccuracy(row)) acc.push({ agent: row.agent, horizon: row.horizon, ...p, series: PREDICTED });
  }
  const accTitle = 'Task accuracy A(t) and the prediction p̂ᵗ';
  return chartOrSkip(out, 'task-accuracy', accTitle, acc.length === 0 ? 'no task accuracy or step accuracy (the environment has no oracle?)' : null, () => ({
    caption: 'A(t) is the fraction of rollouts with no oracle mismatch through step t; the dashed curve is p̂ᵗ, what independent per-step errors at rate 1 − p̂ would give. The grey rule is 0.5, where H50 is read.',
    spec: perAgent(accTitle, acc, {
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: stepAxis(doc, opts),
            y: { field: 'value', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
            color: HORIZON_COLOR,
            strokeDash: { field: 'series', type: 'nominal', title: 'curve', sort: [MEASURED, PREDICTED] },
            detail: { field: 'horizon', type: 'ordinal' },
          },
        },
        { mark: { type: 'rule', color: '#999', strokeDash: [2, 2] }, encoding: { y: { datum: 0.5 } } },
      ],
    }),
  }));
}
