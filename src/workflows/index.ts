/**
 * Workflows: what composes the lower layers into one user-level task.
 * Calibration runs planted agents through the engine and analyses them;
 * horizon tuning runs probe rollouts and searches. Analysis itself never
 * runs the engine.
 */
export { runCalibration, checkCalibration, calibrationScenario, type CalibrationCheck, type CalibrationResult, type CalibrationOptions } from './calibrate.js';
export { tuneHorizon, TUNE_DEFAULTS, type TuneOptions, type TuneResult } from './tune.js';
