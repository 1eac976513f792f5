/** The report layer's front door: turn a run directory into report.md with SVG/PNG plots. */
export { writeReport, PLOTS_DIR, type ReportOptions, type ReportResult } from './report.js';
export { buildCharts, closedForm, isoEnd, isoLabels, ISO_LEVELS, logSteps, LOG_STEPS_ABOVE, type Chart, type ChartFamily, type IsoLabel, type StepScale } from './charts/index.js';
export { renderSvg, svgToPng, findFonts, fontSetup, fontWarning, type ChartSpec, type FontSetup } from './render.js';
export { reportMarkdown, analysisTable } from './markdown.js';
export { parseAnalysis, readAnalysis } from './load.js';
export { injectionChart, writeInjectionReport } from './injection.js';
