/** The analysis layer: run directory → AnalysisDocument (metrics spec, section G), and its tables. */
export * from './document.js';
export { analyzeRun, writeAnalysis, MIN_SETTLED_N, type AnalyzeOptions } from './analyze.js';
export { nullNonFinite } from './finite.js';
export { renderAnalysisTable, renderColumns, fmt, fmtInterval, fmtEstimate, fmtShare, intervalDigits } from './table.js';
export { compareAnalyses, checkComparable, compareValue, renderComparison, NOISE_FLOOR_RULE, COMPARE_SCHEMA, type Comparison, type ComparisonRow, type CompareOptions } from './compare.js';
export { runCalibration, checkCalibration, calibrationScenario, type CalibrationCheck, type CalibrationResult, type CalibrationOptions } from './calibrate.js';
export { staleAnalysis, countAnalysedRollouts } from './freshness.js';
