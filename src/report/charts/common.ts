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

/** The x axis for step t. */
export const STEP_X = { field: 't', type: 'quantitative' as const, title: 'step t', axis: { tickMinStep: 1 } };
