/**
 * Fork from a step: rebuild a logged run's scenario, replay one rollout's
 * first K actions from its log (no agent calls), then let the agent sample
 * M fresh continuations. The result is an ordinary run directory holding
 * one group (the source rollout's agent, horizon and instance) whose
 * manifest carries `fork: {sourceRun, sourceRollout, step, samples}`.
 *
 * Every continuation shares the prefix, so S(t) = 1 for t ≤ K by
 * construction; divergence after K is created by the agent alone. Each
 * continuation gets its own agent seed, derive(seed, "fork", rollout, K,
 * index), and the source rollout's environment seed (the same instance).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine, deriveSeed, HotmessError, withOsErrors, type Action, type AgentServices } from '../core/index.js';
import { FILES, lockRun, rolloutId, writeJsonAtomic, type ForkInfo, type Manifest, type RunLock } from '../log/index.js';
import { LIMITS } from './limits.js';
import { readForkSource, type ForkSource } from './fork-source.js';
import { injectErrors, type InjectedPrefix } from './inject.js';
import type { PlannedRollout } from './plan.js';
import type { Registry } from './registry.js';
import { buildManifest, executePlan, markStopped, type RunSummary } from './runner.js';
import { rolloutHash, type ResolvedScenario } from './scenario.js';

export interface ForkOptions {
  /** The source run directory. */
  readonly run: string;
  /** The rollout id to fork (`agent:horizon:instance:index`). */
  readonly rollout: string;
  /** K: the number of logged steps replayed before the agent takes over (0 ≤ K ≤ length). */
  readonly step: number;
  /** M: continuations sampled. */
  readonly samples: number;
  readonly out: string;
  readonly registry: Registry;
  readonly version: string;
  readonly concurrency?: number;
  /** Aborting stops new continuations and cancels in-flight ones (status `interrupted`). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked before each continuation starts; a reason stops the fork cleanly (e.g. a cost budget). */
  readonly shouldStop?: () => string | null;
  /** Run-scoped services handed to the agent (e.g. the LLM response cache and cost meter). */
  readonly services?: AgentServices;
  /** The source, when the caller has already read it with `readForkSource` (same run, rollout and step). */
  readonly source?: ForkSource;
  /** R: replace each prefix action by a wrong legal one with this probability, per continuation (inject.ts). */
  readonly injectRate?: number;
}

export type { ForkInfo };

export interface ForkSummary extends RunSummary {
  readonly fork: ForkInfo;
}

/** The continuations' plan, lazily: one group, the source's coordinates, fresh agent seeds. */
export function* planFork(src: ForkSource, samples: number): Generator<PlannedRollout> {
  const { record, agent, scenario } = src;
  for (let index = 0; index < samples; index++) {
    yield {
      id: rolloutId(agent.name, record.horizon, record.instance, index),
      agent,
      horizon: record.horizon,
      instance: record.instance,
      index,
      seeds: { env: src.envSeed, agent: deriveSeed(scenario.spec.seed, 'fork', record.rollout, src.prefix.length, index) },
    };
  }
}

/** The scenario as the fork runs it: one agent, the source's horizon, M rollouts. */
export function forkScenario(src: ForkSource, samples: number): ResolvedScenario {
  const s = src.scenario;
  const agentSpec = s.spec.agents.find((a) => a.name === src.agent.name)!;
  const spec = { ...s.spec, horizons: [src.record.horizon], instances: 1, rollouts: samples, agents: [agentSpec] };
  return { ...s, spec, agents: [src.agent], hash: rolloutHash(spec) };
}

function prepareOut(out: string): RunLock {
  if (existsSync(join(out, FILES.manifest))) throw new HotmessError('usage', `${out}: a run already exists here; choose another --out`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new HotmessError('usage', `${out}: exists and is not empty; choose another --out`);
  withOsErrors(out, 'create the run directory', () => mkdirSync(out, { recursive: true }));
  return lockRun(out, 'hotmess fork');
}

/** `--samples`: a positive integer up to LIMITS.forkSamples. */
export function checkForkSamples(samples: number): void {
  if (!Number.isSafeInteger(samples) || samples < 1) throw new HotmessError('usage', `--samples: expected a positive integer, got ${samples}`);
  if (samples > LIMITS.forkSamples) throw new HotmessError('usage', `--samples ${samples}: at most ${LIMITS.forkSamples.toLocaleString('en-US')} continuations per fork`);
}

export async function forkRun(opts: ForkOptions): Promise<ForkSummary> {
  checkForkSamples(opts.samples);
  // Validates the source (run, rollout id, K) and replays the prefix before anything is written.
  const src = opts.source ?? (await readForkSource(opts.run, opts.rollout, opts.step, opts.registry));
  if (src.record.rollout !== opts.rollout || src.prefix.length !== opts.step) throw new HotmessError('internal', 'forkRun: `source` was read for another rollout or step');
  const rate = opts.injectRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new HotmessError('usage', `--inject-rate: expected a probability in [0, 1], got ${rate}`);
  // Computed before anything is written: an environment that cannot inject fails here.
  const injected = rate === undefined ? null : Array.from({ length: opts.samples }, (_, i) => injectErrors(src, rate, i));
  const lock = prepareOut(opts.out);
  try {
    return await runFork(opts, src, lock, injected);
  } finally {
    lock.release();
  }
}

async function runFork(opts: ForkOptions, src: ForkSource, lock: RunLock, injected: readonly InjectedPrefix[] | null): Promise<ForkSummary> {
  const fork: ForkInfo = {
    sourceRun: opts.run,
    sourceRollout: opts.rollout,
    step: opts.step,
    samples: opts.samples,
    seeds: 'env: the source rollout\'s; agent: derive(seed, "fork", sourceRollout, step, index)',
    ...(injected && opts.injectRate !== undefined
      ? { inject: { rate: opts.injectRate, seeds: 'derive(seed, "inject", sourceRollout, step, index)', injected: injected.map((x) => x.injected.length) } }
      : {}),
  };
  const scenario = forkScenario(src, opts.samples);
  const extra: Partial<Manifest> = { source: 'hotmess fork', fork };
  const startedAt = new Date().toISOString();
  const manifestPath = join(opts.out, FILES.manifest);
  writeJsonAtomic(manifestPath, buildManifest(scenario, opts.version, 'running', extra, { startedAt }));

  const prefix: readonly Action[] = src.prefix;
  let outcome;
  try {
    outcome = await executePlan({
      plan: planFork(src, opts.samples),
      alreadyDone: 0,
      total: opts.samples,
      env: scenario.env,
      envParams: scenario.envParams,
      dir: opts.out,
      registry: opts.registry,
      concurrency: Math.max(1, opts.concurrency ?? scenario.spec.concurrency),
      signal: opts.signal,
      shouldStop: opts.shouldStop,
      onProgress: opts.onProgress,
      services: opts.services,
      prefixFor: injected ? (p) => injected[p.index].actions : () => prefix,
    });
  } catch (e) {
    markStopped(manifestPath, () => buildManifest(scenario, opts.version, 'interrupted', { ...extra, stoppedBecause: errorLine(e) }, { startedAt }), lock);
    throw e;
  }
  const { ran, terminations, stoppedBecause } = outcome;
  const status: Manifest['status'] = stoppedBecause ? 'interrupted' : 'finished';
  writeJsonAtomic(manifestPath, buildManifest(scenario, opts.version, status, extra, { startedAt, finishedAt: new Date().toISOString() }));
  return { dir: opts.out, status, total: opts.samples, skipped: 0, ran, terminations, stoppedBecause, fork };
}
