/**
 * The ensembling curve: incoherence of the mean of E rollouts, measured,
 * next to the closed form INCOH(E) = V/(E·B² + V) from the single-sample B²
 * and V (metrics spec D4). Pure.
 */
import type { AnalysisDocument, EnsembleSummary } from '../../analysis/index.js';
import type { Num } from './common.js';
import { chartOrSkip, HORIZON_COLOR, isNum, noCharts, perAgent, type ChartFamily } from './common.js';

export const MEASURED = 'measured';
export const CLOSED_FORM = 'closed form V/(E·B²+V)';

/** V/(E·B²+V), or null when it is 0/0 or an input is missing. */
export function closedForm(E: number, biasSq: Num | undefined, variance: Num | undefined): number | null {
  if (!isNum(biasSq) || !isNum(variance)) return null;
  const den = E * biasSq + variance;
  return den > 0 ? variance / den : null;
}

/**
 * The closed form at a point: the document's value when present, else
 * computed from the same agent × horizon's E = 1 point.
 */
function closedAt(p: EnsembleSummary, all: readonly EnsembleSummary[]): number | null {
  if (isNum(p.closedForm)) return p.closedForm;
  const single = all.find((q) => q.agent === p.agent && q.horizon === p.horizon && q.E === 1);
  return single ? closedForm(p.E, single.biasSq, single.variance) : null;
}

const E_X = { field: 'E', type: 'quantitative' as const, title: 'ensemble size E', scale: { type: 'log' as const, base: 2 }, axis: { tickMinStep: 1, format: 'd' } };

export function ensembleCharts(doc: AnalysisDocument): ChartFamily {
  const title = 'Ensembling: incoherence against ensemble size E';
  const pts = doc.ensembles;
  const values: { agent: string; horizon: number; E: number; value: number; series: string }[] = [];
  for (const p of pts) {
    if (!isNum(p.E)) continue;
    if (isNum(p.incoherence)) values.push({ agent: p.agent, horizon: p.horizon, E: p.E, value: p.incoherence, series: MEASURED });
    const c = closedAt(p, pts);
    if (c !== null) values.push({ agent: p.agent, horizon: p.horizon, E: p.E, value: c, series: CLOSED_FORM });
  }
  return chartOrSkip(noCharts(), 'ensemble', title, values.length === 0 ? 'no ensemble points (fewer than 4 rollouts per group, or no error)' : null, () => ({
    caption: 'Outcomes averaged over disjoint ensembles of E rollouts. Averaging cuts variance about as 1/E and leaves bias, so incoherence should follow the dashed closed form.',
    spec: perAgent(title, values, {
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: E_X,
            y: { field: 'value', type: 'quantitative', title: 'incoherence', scale: { domain: [0, 1] } },
            color: HORIZON_COLOR,
            strokeDash: { field: 'series', type: 'nominal', title: 'curve', sort: [MEASURED, CLOSED_FORM], legend: { symbolType: 'stroke' } },
          },
        },
        {
          // Points on the measured curve only: they are the data; the closed form is a reference.
          transform: [{ filter: { field: 'series', equal: MEASURED } }],
          mark: { type: 'point', filled: true, size: 30 },
          encoding: { x: E_X, y: { field: 'value', type: 'quantitative' }, color: HORIZON_COLOR },
        },
      ],
    }),
  }));
}
