/** Every chart the report draws, in report order. Pure: specs only, no rendering. */
import type { AnalysisDocument } from '../../analysis/index.js';
import { biasVarianceCharts } from './bias-variance.js';
import type { ChartFamily } from './common.js';
import { divergenceCharts } from './divergence.js';
import { ensembleCharts } from './ensemble.js';
import { incoherenceCharts } from './incoherence.js';
import { reliabilityCharts } from './reliability.js';
import { scalingCharts } from './scaling.js';

export type { Chart, ChartFamily, Num } from './common.js';
export { ISO_LEVELS, isoEnd } from './bias-variance.js';
export { closedForm } from './ensemble.js';

const FAMILIES = [divergenceCharts, incoherenceCharts, biasVarianceCharts, reliabilityCharts, ensembleCharts, scalingCharts] as const;

export function buildCharts(doc: AnalysisDocument): ChartFamily {
  const out: ChartFamily = { charts: [], skipped: [] };
  for (const family of FAMILIES) {
    const f = family(doc);
    out.charts.push(...f.charts);
    out.skipped.push(...f.skipped);
  }
  return out;
}
