/**
 * Bias² against variance: one point per agent × horizon, over lines of equal
 * incoherence. Incoherence c = V/(B²+V) holds on the line V = c/(1−c)·B².
 * Pure.
 */
import type { AnalysisDocument } from '../../analysis/index.js';
import type { ChartSpec } from '../render.js';
import { agentColor, chartOrSkip, isNum, noCharts, type Chart, type ChartFamily } from './common.js';

/** The incoherence levels drawn as reference lines; 0.9 and 0.95 are where noisy agents sit. */
export const ISO_LEVELS = [0.09, 0.32, 0.5, 0.68, 0.9, 0.95] as const;

/** The plot area, in pixels: label placement works in these units. */
const WIDTH = 380;
const HEIGHT = 320;
/** Label sizes at fontSize 10: "0.95" is about 22 px wide and 10 px tall; keep a margin. */
const TOP_GAP = 28;
const RIGHT_GAP = 14;

export interface IsoLabel {
  readonly level: number;
  readonly text: string;
  /** Where the label sits, in data units (on the box's top or right edge, beside its line's end). */
  readonly biasSq: number;
  readonly variance: number;
  readonly edge: 'top' | 'right';
  /** Pixel position along the edge: x from the left on the top edge, y from the top on the right edge. */
  readonly px: number;
}

/** Spread positions (sorted ascending) at least `gap` apart inside [0, max], moving each as little as it can. */
function spread(ps: number[], gap: number, max: number): number[] {
  const out = [...ps];
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i], out[i - 1] + gap);
  if (out.length > 0 && out[out.length - 1] > max) out[out.length - 1] = max;
  for (let i = out.length - 2; i >= 0; i--) out[i] = Math.min(out[i], out[i + 1] - gap);
  return out;
}

/**
 * One label per level at its line's end on the box's edge, spread along the
 * edge so that no two overlap: steep lines (high incoherence) all end on the
 * top edge close together, which is where noisy agents' points are.
 */
export function isoLabels(levels: readonly number[], xMax: number, yMax: number): IsoLabel[] {
  const ends = levels.map((c) => {
    const end = isoEnd(c, xMax, yMax);
    // √ axes: pixel = √(value / max) · size.
    const onTop = end.y >= yMax * (1 - 1e-9);
    return { c, onTop, px: onTop ? Math.sqrt(end.x / xMax) * WIDTH : (1 - Math.sqrt(end.y / yMax)) * HEIGHT };
  });
  const out: IsoLabel[] = [];
  for (const edge of ['top', 'right'] as const) {
    const mine = ends.filter((e) => e.onTop === (edge === 'top')).sort((a, b) => a.px - b.px);
    const placed = spread(mine.map((e) => e.px), edge === 'top' ? TOP_GAP : RIGHT_GAP, edge === 'top' ? WIDTH : HEIGHT);
    mine.forEach((e, i) => {
      const px = placed[i];
      const at = edge === 'top' ? { biasSq: (Math.max(0, px) / WIDTH) ** 2 * xMax, variance: yMax } : { biasSq: xMax, variance: (1 - Math.min(HEIGHT, px) / HEIGHT) ** 2 * yMax };
      out.push({ level: e.c, text: String(e.c), edge, px, ...at });
    });
  }
  return out.sort((a, b) => a.level - b.level);
}

/** The end of the line V = c/(1−c)·B² inside the box [0, xMax] × [0, yMax]. */
export function isoEnd(c: number, xMax: number, yMax: number): { x: number; y: number } {
  const slope = c / (1 - c);
  return slope * xMax <= yMax ? { x: xMax, y: slope * xMax } : { x: yMax / slope, y: yMax };
}

export function biasVarianceCharts(doc: AnalysisDocument): ChartFamily {
  const title = 'Bias² against variance, with lines of equal incoherence';
  const points: { agent: string; horizon: number; biasSq: number; variance: number }[] = [];
  for (const row of doc.horizons) {
    if (isNum(row.biasSq) && isNum(row.variance)) {
      points.push({ agent: row.agent, horizon: row.horizon, biasSq: row.biasSq, variance: row.variance });
    }
  }
  return chartOrSkip(noCharts(), 'bias-variance', title, points.length === 0 ? 'no agent × horizon has both bias² and variance' : null, () => plane(title, points));
}

/** The plane: iso-incoherence lines with their labels, and each agent's path over its horizons. */
function plane(title: string, points: readonly { agent: string; horizon: number; biasSq: number; variance: number }[]): Pick<Chart, 'caption' | 'spec'> {
  // Pad the box so the largest point is not on the edge; a zero range gets a unit box.
  const pad = (m: number) => (m > 0 ? m * 1.15 : 1);
  const xMax = pad(Math.max(...points.map((p) => p.biasSq)));
  const yMax = pad(Math.max(...points.map((p) => p.variance)));
  const lines: { level: string; biasSq: number; variance: number }[] = [];
  for (const c of ISO_LEVELS) {
    const end = isoEnd(c, xMax, yMax);
    lines.push({ level: String(c), biasSq: 0, variance: 0 }, { level: String(c), biasSq: end.x, variance: end.y });
  }
  const labels = isoLabels(ISO_LEVELS, xMax, yMax);
  // Square-root axes: the line V = k·B² stays a straight line through the origin
  // (√V = √k·√B²), zeros stay plottable, and a wide range of error scales fits.
  const axis = (field: string, title: string, max: number) => ({
    field,
    type: 'quantitative' as const,
    title: `${title} (√ scale)`,
    scale: { type: 'sqrt' as const, domain: [0, max], nice: false },
  });
  const x = axis('biasSq', 'bias²', xMax);
  const y = axis('variance', 'variance', yMax);
  const color = agentColor(points);
  const spec: ChartSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', strokeDash: [4, 3], color: '#888', strokeWidth: 1 },
        encoding: { x, y, detail: { field: 'level', type: 'nominal' } },
      },
      {
        // Top-edge labels sit just above the box; right-edge ones just inside it, clear of the legend.
        data: { values: labels.filter((l) => l.edge === 'top') },
        mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -3, color: '#666', fontSize: 10 },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
      {
        data: { values: labels.filter((l) => l.edge === 'right') },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, color: '#666', fontSize: 10 },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
      {
        // Each agent's path through the plane as the horizon grows.
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.5 },
        encoding: { x, y, color, order: { field: 'horizon', type: 'quantitative' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: { x, y, color, shape: { field: 'horizon', type: 'nominal', title: 'horizon H', sort: 'ascending' } },
      },
    ],
  };
  return {
    caption: `Each point is one agent at one horizon (shape = horizon; the thin line joins an agent's horizons in order). Dashed lines mark incoherence c = ${ISO_LEVELS.join(', ')} (V = c/(1−c)·B²), labelled with c at the box's edge: points above a line have more of their error in variance. Both axes are square-root scaled, which keeps those lines straight.`,
    spec,
  };
}
