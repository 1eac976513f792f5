/**
 * Exports: a run directory (and its analysis) written in another tool's
 * format. Above the analysis layer, below the CLI: it reads runs and their
 * analysis, and never runs anything.
 */
export { exportInspect, INSPECT_LOG_VERSION, type ExportOptions, type ExportSummary } from './inspect.js';
