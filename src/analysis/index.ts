/** The analysis layer: run directory → AnalysisDocument (metrics spec, section G), and its tables. */
export * from './document.js';
export { analyzeRun, writeAnalysis, MIN_SETTLED_N, type AnalyzeOptions } from './analyze.js';
export { releaseReaderThreads, READER_IDLE_MS } from './step-reader.js';
export { nullNonFinite } from './finite.js';
export { renderAnalysisTable, renderColumns, wrapText, type TableLayout } from './table.js';
export { fmt, fmtInterval, fmtEstimate, fmtShare, intervalDigits } from './format.js';
export { summarizeAgents, describeAgent, ROUGH_CI_INSTANCES } from './summary.js';
export { horizonTrends, olsSlope } from './trend.js';
export { displayWidth } from './text-width.js';
export {
  compareAnalyses,
  checkComparable,
  compareValue,
  renderComparison,
  largestDifferences,
  summaryLine,
  NOISE_FLOOR_RULE,
  COMPARE_SCHEMA,
  COMPARE_METRICS,
  COMPARE_Q,
  type Comparison,
  type ComparisonRow,
  type FamilyResult,
  type CompareOptions,
} from './compare.js';
export { renderScalingTable } from './table.js';
export { staleAnalysis, countAnalysedRollouts } from './freshness.js';
export { scalingAnalysis, verdictOf, ladders, VERDICTS, type LadderAgent, type ScalingCell } from './scaling.js';
export { paperFinding, FINDINGS, type Finding } from './paper-findings.js';
export { searchHorizon, suggestHorizons, type SearchOptions, type SearchResult, type ProbeSummary } from './horizon-search.js';
export { injectionSummary, type InjectionPoint, type InjectionSummary } from './injection.js';
export { poolSteps } from './pool.js';
