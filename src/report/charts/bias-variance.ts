/**
 * Bias² against variance: one point per agent × horizon, over lines of equal
 * incoherence. Incoherence c = V/(B²+V) holds on the line V = c/(1−c)·B².
 * Pure.
 */
import type { AnalysisDocument } from '../../analysis/index.js';
import type { ChartSpec } from '../render.js';
import { agentColor, isNum, type ChartFamily } from './common.js';

/** The incoherence levels drawn as reference lines. */
export const ISO_LEVELS = [0.09, 0.32, 0.5, 0.68] as const;

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
  if (points.length === 0) return { charts: [], skipped: [{ id: 'bias-variance', title, reason: 'no agent × horizon has both bias² and variance' }] };

  // Pad the box so the largest point is not on the edge; a zero range gets a unit box.
  const pad = (m: number) => (m > 0 ? m * 1.15 : 1);
  const xMax = pad(Math.max(...points.map((p) => p.biasSq)));
  const yMax = pad(Math.max(...points.map((p) => p.variance)));
  const lines: { level: string; biasSq: number; variance: number }[] = [];
  const labels: { level: string; biasSq: number; variance: number }[] = [];
  for (const c of ISO_LEVELS) {
    const level = `incoherence ${c}`;
    const end = isoEnd(c, xMax, yMax);
    lines.push({ level, biasSq: 0, variance: 0 }, { level, biasSq: end.x, variance: end.y });
    labels.push({ level, biasSq: end.x, variance: end.y });
  }
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
    width: 380,
    height: 320,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', strokeDash: [4, 3], color: '#888', strokeWidth: 1 },
        encoding: { x, y, detail: { field: 'level', type: 'nominal' } },
      },
      {
        data: { values: labels },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -2, dy: -2, color: '#666', fontSize: 10 },
        encoding: { x, y, text: { field: 'level', type: 'nominal' } },
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
    charts: [
      {
        id: 'bias-variance',
        title,
        caption: `Each point is one agent at one horizon (shape = horizon; the thin line joins an agent's horizons in order). Dashed lines mark incoherence ${ISO_LEVELS.join(', ')} (V = c/(1−c)·B²): points above a line have more of their error in variance. Both axes are square-root scaled, which keeps those lines straight.`,
        spec,
      },
    ],
    skipped: [],
  };
}
