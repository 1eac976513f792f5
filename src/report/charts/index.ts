/** Every chart the report draws, in report order. Pure: specs only, no rendering. */
import type { AnalysisDocument } from '../../analysis/index.js';
import { biasVarianceCharts } from './bias-variance.js';
import { noCharts, type ChartFamily, type ChartOptions } from './common.js';
import { divergenceCharts } from './divergence.js';
import { ensembleCharts } from './ensemble.js';
import { incoherenceCharts } from './incoherence.js';
import { reliabilityCharts } from './reliability.js';
import { scalingCharts } from './scaling.js';
import { modelUncertaintyCharts } from './model-uncertainty.js';

export type { Chart, ChartFamily, Num } from './common.js';
export { ISO_LEVELS, isoEnd, isoLabels, type IsoLabel } from './bias-variance.js';
export { logSteps, LOG_STEPS_ABOVE, type StepScale, type ChartOptions } from './common.js';
export { closedForm } from './ensemble.js';

const FAMILIES = [divergenceCharts, incoherenceCharts, biasVarianceCharts, reliabilityCharts, ensembleCharts, scalingCharts, modelUncertaintyCharts] as const;

export function buildCharts(doc: AnalysisDocument, opts: ChartOptions = {}): ChartFamily {
  const out = noCharts();
  for (const family of FAMILIES) {
    const f = family(doc, opts);
    out.charts.push(...f.charts);
    out.skipped.push(...f.skipped);
  }
  return out;
}
