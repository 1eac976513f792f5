/**
 * Workflows: what composes the lower layers into one user-level task.
 * Calibration runs planted agents through the engine and analyses them;
 * horizon tuning runs probe rollouts and searches; `paper` runs, analyses
 * and judges scenarios/paper/; a model-backed run gets
 * its runtime, budget and replay cache; play sets up a person's session.
 * Analysis itself never runs the engine.
 */
export { runCalibration, checkCalibration, calibrationScenario, type CalibrationResult, type CalibrationOptions } from './calibrate.js';
export type { CalibrationCheck } from './calibration-check.js';
export { prepareLlmRun, loadRunScenario, dryRun, type LlmOptions, type LlmRun, type LlmTotals } from './llm-run.js';
export { playScenario, preparePlay, runPlay, DEFAULT_PLAY_HORIZON, type PlaySetupOptions, type PlaySessionOptions, type PlaySession, type PlayResult, type PlayedRollout } from './play.js';
export { runPaper, paperScenarioFiles, type PaperOptions, type PaperResult } from './paper.js';
export { tuneHorizon, TUNE_DEFAULTS, type TuneOptions, type TuneResult } from './tune.js';
