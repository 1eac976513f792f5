/**
 * Incoherence, bias² and variance against the horizon (with bootstrap CIs),
 * and per-step incoherence against t. Null points and null interval ends are
 * dropped. Pure.
 */
import type { AnalysisDocument, HorizonSummary } from '../../analysis/index.js';
import { agentColor, chartOrSkip, HORIZON_COLOR, isNum, noCharts, perAgent, stepAxis, type ChartFamily, type ChartOptions } from './common.js';
import type { ChartSpec } from '../render.js';

const SWEEP: ReadonlyArray<[field: 'incoherence' | 'biasSq' | 'variance', label: string]> = [
  ['incoherence', 'incoherence'],
  ['biasSq', 'bias²'],
  ['variance', 'variance'],
];

interface SweepPoint {
  agent: string;
  horizon: number;
  measure: string;
  value: number;
  lo?: number;
  hi?: number;
}

function sweepPoints(rows: readonly HorizonSummary[]): SweepPoint[] {
  const out: SweepPoint[] = [];
  for (const row of rows) {
    for (const [field, label] of SWEEP) {
      const value = row[field];
      if (!isNum(value)) continue;
      const p: SweepPoint = { agent: row.agent, horizon: row.horizon, measure: label, value };
      const ci = row.ci[field];
      if (ci && isNum(ci[0]) && isNum(ci[1])) {
        p.lo = ci[0];
        p.hi = ci[1];
      }
      out.push(p);
    }
  }
  return out;
}

/**
 * The horizon axis: ticks at the horizons swept; a log scale when they span
 * a factor of 8 or more (typical doubling sweeps), else linear.
 */
export function horizonAxis(horizons: readonly number[]) {
  const values = [...new Set(horizons)].sort((a, b) => a - b);
  const lo = values[0] ?? 1;
  const hi = values[values.length - 1] ?? 1;
  const log = lo > 0 && hi / lo >= 8;
  return {
    field: 'horizon',
    type: 'quantitative' as const,
    title: 'horizon H',
    scale: log ? { type: 'log' as const, base: 2, nice: false, padding: 12 } : { nice: false, padding: 12, zero: false },
    axis: { values, format: 'd' },
  };
}

export function incoherenceCharts(doc: AnalysisDocument, opts: ChartOptions = {}): ChartFamily {
  const out = noCharts();

  const points = sweepPoints(doc.horizons);
  const sweepTitle = 'Incoherence, bias² and variance against the horizon';
  const horizons = [...new Set(points.map((p) => p.horizon))];
  const noSweep =
    points.length === 0
      ? 'no incoherence, bias² or variance values'
      : // One horizon (a fork, a single-horizon scenario): a sweep of one point per panel says nothing the table does not.
        horizons.length < 2
        ? `one horizon only (H = ${horizons[0]}), so there is no sweep to draw; its values are in the table`
        : null;
  chartOrSkip(out, 'horizon-sweep', sweepTitle, noSweep, () => {
    const x = horizonAxis(doc.horizons.map((r) => r.horizon));
    const color = agentColor(points);
    const line = {
      mark: { type: 'line' as const, point: true, strokeWidth: 1.5 },
      encoding: { x, y: { field: 'value', type: 'quantitative' as const, title: null }, color },
    };
    // Error bars only from finite intervals; with none (a single instance gives no
    // cluster bootstrap) an empty bar layer would only make vega warn.
    const anyCi = points.some((p) => p.lo !== undefined);
    const bars = {
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: { type: 'rule' as const, strokeWidth: 1.2 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' }, color },
    };
    const spec: ChartSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: sweepTitle,
      data: { values: points },
      facet: { field: 'measure', type: 'nominal', title: null, sort: SWEEP.map(([, l]) => l) },
      columns: 3,
      resolve: { scale: { y: 'independent' } },
      spec: { width: 240, height: 180, layer: anyCi ? [line, bars] : [line] },
    };
    return {
      caption: `The headline sweep. Incoherence = variance / error (0: all error is bias, 1: all variance). ${anyCi ? 'Bars are 95% cluster-bootstrap intervals over environment instances.' : 'No bars: no interval could be computed (it needs two or more environment instances).'}`,
      spec,
    };
  });

  const steps: { agent: string; horizon: number; t: number; value: number }[] = [];
  for (const row of doc.horizons) {
    for (const s of row.steps) if (isNum(s.incoherence)) steps.push({ agent: row.agent, horizon: row.horizon, t: s.t, value: s.incoherence });
  }
  const stepTitle = 'Per-step incoherence against step t';
  return chartOrSkip(out, 'step-incoherence', stepTitle, steps.length === 0 ? 'no per-step measure values (the environment has no measure, or every step had zero error)' : null, () => ({
    caption: 'Incoherence of the per-step measured values, pooled over instances as a ratio of sums at each t.',
    spec: perAgent(stepTitle, steps, {
      mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5 },
      encoding: {
        x: stepAxis(doc, opts),
        y: { field: 'value', type: 'quantitative', title: 'incoherence', scale: { domain: [0, 1] } },
        color: HORIZON_COLOR,
      },
    }),
  }));
}
