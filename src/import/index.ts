/**
 * Importers: trajectories logged by other harnesses become normal run
 * directories, so analyze, report and replay work on them unchanged.
 * Depends on src/core and src/log only.
 */
export { importTauBench, type TauBenchOptions } from './tau-bench.js';
export { importJsonl, type JsonlOptions } from './jsonl.js';
export type { ImportSummary } from './build.js';
export { importInspect, type InspectOptions, type InspectSummary } from './inspect/import.js';
export { LOSSLESS_KEY, LOSSLESS_SCHEMA, type EvalMeta, type SampleMeta } from './inspect/lossless.js';
