/**
 * What every chart family shares: the Chart shape, null filtering, and the
 * encodings for "colour = horizon" and "one panel per agent". Pure.
 */
import type { ChartSpec } from '../render.js';
export type Num = number | null;

/** One plot: written as plots/<id>.svg and plots/<id>.png, described by `caption`. */
export interface Chart {
  readonly id: string;
  readonly title: string;
  /** One or two sentences for the report: what is plotted and how to read it. */
  readonly caption: string;
  readonly spec: ChartSpec;
}

/** A chart family's result: its charts, and the ids it skipped for lack of data. */
export interface ChartFamily {
  readonly charts: Chart[];
  readonly skipped: { id: string; title: string; reason: string }[];
}

/** A family with nothing in it yet. */
export const noCharts = (): ChartFamily => ({ charts: [], skipped: [] });

/**
 * One chart into `out`, or, when `why` names a reason there is nothing to
 * draw, that reason: the one rule every family follows, so a report never
 * silently lacks a plot. `draw` runs only when there is something to draw.
 */
export function chartOrSkip(out: ChartFamily, id: string, title: string, why: string | null, draw: () => Pick<Chart, 'caption' | 'spec'>): ChartFamily {
  if (why !== null) out.skipped.push({ id, title, reason: why });
  else out.charts.push({ id, title, ...draw() });
  return out;
}

export const isNum = (v: Num | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export const PANEL = { width: 260, height: 170 } as const;

/** Horizons as an ordinal colour, so they sort numerically and stay distinct. */
export const HORIZON_COLOR = {
  field: 'horizon',
  type: 'ordinal' as const,
  title: 'horizon H',
  scale: { scheme: 'tableau10' },
};

/** The inner (per-panel) spec of a faceted chart: a unit or a layer. */
export type PanelSpec = Extract<ChartSpec, { facet: unknown }>['spec'];

/** Agents in order of first appearance: the analysis lists them in scenario order. */
export const agentOrder = (values: readonly { agent: string }[]): string[] => [...new Set(values.map((v) => v.agent))];

/** Agents as a nominal colour, in scenario order. */
export const agentColor = (values: readonly { agent: string }[]) => ({
  field: 'agent',
  type: 'nominal' as const,
  title: 'agent',
  scale: { scheme: 'tableau10' },
  sort: agentOrder(values),
});

/** Wrap a unit or layer spec into one panel per agent, panels in scenario order. */
export function perAgent(title: string, values: { agent: string }[], spec: PanelSpec): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { field: 'agent', type: 'nominal', title: 'agent', sort: agentOrder(values) },
    columns: 3,
    spec: { ...PANEL, ...spec },
  };
}

/** How the report draws its step axes: log when asked, or (auto) when the horizons span more than this factor. */
export type StepScale = 'auto' | 'linear' | 'log';
export const LOG_STEPS_ABOVE = 32;

export interface ChartOptions {
  readonly stepScale?: StepScale;
}

/** Whether step axes are logarithmic: forced, or the horizons span more than a factor of 32. */
export function logSteps(horizons: readonly number[], scale: StepScale = 'auto'): boolean {
  if (scale !== 'auto') return scale === 'log';
  const positive = horizons.filter((h) => h > 0);
  return positive.length > 0 && Math.max(...positive) / Math.min(...positive) > LOG_STEPS_ABOVE;
}

/** The x axis for step t (t ≥ 1, so a log scale is defined everywhere). */
export function stepX(log: boolean) {
  return log
    ? { field: 't', type: 'quantitative' as const, title: 'step t (log scale)', scale: { type: 'log' as const, base: 2, nice: false }, axis: { tickMinStep: 1, format: 'd' } }
    : { field: 't', type: 'quantitative' as const, title: 'step t', axis: { tickMinStep: 1 } };
}

/** The horizons an analysis covers, for logSteps. */
export const horizonsOf = (doc: { horizons: readonly { horizon: number }[] }) => doc.horizons.map((h) => h.horizon);

/** The step axis of an analysis's charts: log when asked, or when its horizons span more than LOG_STEPS_ABOVE. */
export const stepAxis = (doc: { horizons: readonly { horizon: number }[] }, opts: ChartOptions) => stepX(logSteps(horizonsOf(doc), opts.stepScale));
