/** The engine: scenarios, the rollout machine and the batch runner. */
export { rolloutMachine, runRollout, type RolloutEnd } from './rollout.js';
export { RolloutSession, type StepSink } from './session.js';
export { InstanceCache } from './instances.js';
export { executeRollout, buildAgent, errorRolloutLine, rolloutLine, type ExecuteResult, type RolloutLine } from './execute.js';
export { localPlace, splitPlace, ByteSink, endOfLine, type RolloutPlace, type RolloutSink, type Withdrawn, type LocalPlaceOptions } from './place.js';
export { workerPool, autoWorkers, type WorkerPool, type PoolOptions, type PoolServices } from './pool.js';
export { serveRollouts, type WorkerServices } from './pool-worker.js';
export { planRollouts, planSize, plannedRollout, type PlannedRollout } from './plan.js';
export { rolloutSeeds, instanceSeed, instanceRng, seedsOfRecord } from './seeds.js';
export { LIMITS, sizeIssues, maxSteps } from './limits.js';
export { resolveRunScenario } from './run-scenario.js';
export { runScenario, executePlan, buildManifest, type RunOptions, type RunSummary, type PlanExecution, type PlanOutcome } from './runner.js';
export { loadScenario, loadScenarioFile, parseScenario, resolveScenario, ScenarioSchema, ROLLOUT_FIELDS, rolloutHash, rolloutFieldChanges, type ResolvedScenario, type ResolvedAgent, type ScenarioFile, type AgentSpec } from './scenario.js';
export { resolveEnvironment, resolveAgent, isModulePath, type Registry } from './registry.js';
export { forkRun, forkScenario, planFork, checkForkSamples, type ForkOptions, type ForkSummary, type ForkInfo } from './fork.js';
export { readForkSource, type ForkSource } from './fork-source.js';
export { injectErrors, type InjectedPrefix } from './inject.js';
