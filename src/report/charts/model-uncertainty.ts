/**
 * Model uncertainty against step (metrics.md H4): the model's mean entropy
 * over its candidate actions, H_model(t), beside the pair hazard h(t), one
 * panel per agent, colour = horizon, dashes = measure. Means over instances.
 * Skipped when no agent logged logprobs. Pure.
 */
import type { AnalysisDocument } from '../../analysis/index.js';
import { chartOrSkip, HORIZON_COLOR, isNum, noCharts, perAgent, stepAxis, type ChartFamily, type ChartOptions } from './common.js';

export function modelUncertaintyCharts(doc: AnalysisDocument, opts: ChartOptions = {}): ChartFamily {
  const id = 'model-entropy';
  // Runs without logprobs have nothing to say here, not even "not drawn".
  const groups = doc.modelUncertainty ?? [];
  if (groups.length === 0) return noCharts();
  const title = "Model entropy H_model(t) and hazard h(t)";
  const sums = new Map<string, { agent: string; horizon: number; t: number; measure: string; sum: number; n: number }>();
  const add = (agent: string, horizon: number, t: number, measure: string, v: number | null) => {
    if (!isNum(v)) return;
    const k = `${agent}\u0000${horizon}\u0000${t}\u0000${measure}`;
    const e = sums.get(k) ?? { agent, horizon, t, measure, sum: 0, n: 0 };
    e.sum += v;
    e.n++;
    sums.set(k, e);
  };
  for (const g of groups)
    for (const s of g.steps) {
      add(g.agent, g.horizon, s.t, 'H_model (bits)', s.meanEntropy);
      add(g.agent, g.horizon, s.t, 'hazard', s.hazard);
    }
  const values = [...sums.values()].map((e) => ({ agent: e.agent, horizon: e.horizon, t: e.t, measure: e.measure, value: e.sum / e.n }));
  const rhos = groups.filter((g) => g.rho !== null).map((g) => g.rho as number);
  const rho = rhos.length > 0 ? ` Mean Spearman ρ(H_model, h) over ${rhos.length} group${rhos.length === 1 ? '' : 's'}: ${(rhos.reduce((a, b) => a + b, 0) / rhos.length).toFixed(2)}.` : '';
  const noEntropy = values.some((v) => v.measure === 'H_model (bits)') ? null : 'no step recovered the entropy over candidate actions (continuous actions, or candidates sharing their first token)';
  return chartOrSkip(noCharts(), id, title, noEntropy, () => ({
    caption: `The model's entropy over its candidate actions (solid), from its top-K token log-probabilities, and the pair hazard (dashed), both averaged over instances. Where the entropy rises with the hazard, the model's own uncertainty marks where rollouts split.${rho}`,
    spec: perAgent(title, values, {
      mark: { type: 'line', point: { size: 14 }, strokeWidth: 1.5 },
      encoding: {
        x: stepAxis(doc, opts),
        y: { field: 'value', type: 'quantitative', title: 'H_model (bits) / hazard' },
        color: HORIZON_COLOR,
        strokeDash: { field: 'measure', type: 'nominal', title: 'measure' },
      },
    }),
  }));
}
