/**
 * The metrics layer: pure estimators of the metrics spec. No I/O; the
 * analysis layer feeds them from the run directory.
 */
export * from './outcome.js';
export * from './incoherence.js';
export * from './zero-one.js';
export * from './divergence.js';
export * from './survival.js';
export * from './fits.js';
export * from './reliability.js';
export * from './bootstrap.js';
export * from './groupings.js';
export * from './tails.js';
export * from './wilson.js';
