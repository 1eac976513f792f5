/**
 * The batch runner: every rollout of a scenario into one run directory.
 * Resumable: `resume` recovers the directory (see log/recover.ts) and runs
 * only the rollouts that are not yet committed, so an interrupted run ends
 * with exactly the rollouts an uninterrupted one would have had.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { errorLine, HotmessError, withOsErrors, type Action, type AgentServices } from '../core/index.js';
import { FILES, RUN_SCHEMA, RunWriter, type StepBuffer, lockRun, readManifest, recoverRun, writeJsonAtomic, type Manifest, type RunLock, type Termination } from '../log/index.js';
import { localPlace, type RolloutPlace, type Withdrawn } from './place.js';
import type { ExecuteResult } from './execute.js';
import { planRollouts, planSize, type PlannedRollout } from './plan.js';
import type { Registry } from './registry.js';
import { rolloutFieldChanges, type ResolvedScenario } from './scenario.js';

export interface RunOptions {
  readonly out: string;
  readonly registry: Registry;
  readonly version: string;
  readonly resume?: boolean;
  /** Rollouts in flight at once (async agents); overrides the scenario's. */
  readonly concurrency?: number;
  /** Aborting stops new rollouts and cancels in-flight ones; the run can be resumed. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /** Checked before each rollout starts; a reason stops the run cleanly (e.g. a cost budget). */
  readonly shouldStop?: () => string | null;
  /** Extra manifest fields (fork metadata, notes). */
  readonly manifestExtra?: Partial<Manifest>;
  /** Run-scoped services handed to every agent (e.g. the LLM response cache and cost meter). */
  readonly services?: AgentServices;
  /** Where rollouts run (worker processes, a queue); default: this process. */
  readonly place?: RolloutPlace;
  /** Told the rollouts this invocation will run, before any starts (lockstep batching counts them). */
  readonly onStart?: (todo: readonly PlannedRollout[]) => void | Promise<void>;
  /** Checked once every rollout has ended: a reason the run stopped short while they were in flight (a batch budget). */
  readonly stoppedBy?: () => string | null;
}

export interface RunSummary {
  readonly dir: string;
  readonly status: Manifest['status'];
  readonly total: number;
  /** Already committed before this invocation (resume). */
  readonly skipped: number;
  readonly ran: number;
  readonly terminations: Record<Termination, number>;
  readonly stoppedBecause: string | null;
  readonly recovered?: { readonly retired: number; readonly incomplete: number; readonly droppedSteps: number; readonly tornLines: number };
}

const LLM_SEED_NOTE =
  'Model-backed agents: the Anthropic API takes no seed, so `anthropic` rollouts are reproduced from the response cache and `run --replay`, not from the agent seed. `openai` agents with `seed: rollout` send a seed derived from the agent seed, which only some servers honour (docs/llm-agents.md); the cache and `run --replay` work for them too.';

export function buildManifest(s: ResolvedScenario, version: string, status: Manifest['status'], extra?: Partial<Manifest>, timing?: Record<string, unknown>): Manifest {
  return {
    schema: RUN_SCHEMA,
    status,
    name: s.spec.name,
    version,
    source: 'hotmess run',
    scenario: s.spec as unknown as Record<string, unknown>,
    scenarioHash: s.hash,
    environment: {
      name: s.env.name,
      ...(s.envModule ? { module: s.envModule } : {}),
      outcomeKind: s.env.outcomeKind,
      measureKind: s.env.measure ? (s.env.measureKind ?? 'squared') : null,
      hasFeatures: typeof s.env.features === 'function',
      params: s.envParams,
    },
    agents: s.agents.map((a) => ({ name: a.name, kind: a.kind, params: a.params, ...ladderOf(s.spec.agents.find((x) => x.name === a.name)) })),
    horizons: s.spec.horizons,
    instances: s.spec.instances,
    rollouts: s.spec.rollouts,
    seed: s.spec.seed,
    seeds: {
      env: 'derive(seed, "env", horizon, instance)',
      agent: 'derive(seed, "agent", agent, horizon, instance, index)',
      note: 'each rollout line records its own derived seeds',
    },
    expectedRollouts: s.agents.length * s.spec.horizons.length * s.spec.instances * s.spec.rollouts,
    notes: s.agents.some((a) => a.def.access === 'observation') ? [LLM_SEED_NOTE] : [],
    ...extra,
    ...(timing ? { timing } : {}),
  };
}

/** Create the run directory and take its lock, or check that an existing one may be resumed. */
function prepareDirectory(s: ResolvedScenario, opts: RunOptions): { resumed: boolean; lock: RunLock } {
  const dir = opts.out;
  const manifestPath = join(dir, FILES.manifest);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new HotmessError('usage', `${dir}: --out must be a directory, and this is a file`);
  if (existsSync(manifestPath)) {
    if (!opts.resume) throw new HotmessError('usage', `${dir}: a run already exists here; pass --resume to continue it, or choose another --out`);
    const lock = lockRun(dir, 'hotmess run --resume');
    try {
      checkResumable(dir, s);
      // The logs are about to change: an analysis of the old logs would be silently stale.
      withOsErrors(dir, 'remove the stale analysis', () => rmSync(join(dir, FILES.analysis), { force: true }));
    } catch (e) {
      lock.release();
      throw e;
    }
    return { resumed: true, lock };
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new HotmessError('usage', `${dir}: exists and is not a run directory; choose another --out`);
  withOsErrors(dir, 'create the run directory', () => mkdirSync(dir, { recursive: true }));
  return { resumed: false, lock: lockRun(dir, 'hotmess run') };
}

/** A resume must run the same rollouts: refuse naming the fields that differ. */
function checkResumable(dir: string, s: ResolvedScenario): void {
  const m = readManifest(dir);
  if (m.scenarioHash === undefined) throw new HotmessError('usage', `${dir}: was not written by hotmess run (source: ${m.source ?? 'unknown'}); it cannot be resumed`);
  if (m.scenario === undefined) {
    if (m.scenarioHash !== s.hash) throw new HotmessError('usage', `${dir}: was written by a different scenario (hash ${m.scenarioHash} ≠ ${s.hash}); refusing to mix runs`);
    return;
  }
  const changes = rolloutFieldChanges(m.scenario, s.spec);
  if (changes.length > 0) throw new HotmessError('usage', `${dir}: was written by a different scenario: ${changes.join('; ')}; refusing to mix runs (resume with the run's own scenario, or choose another --out)`);
}

export interface PlanExecution {
  /** Consumed lazily, one rollout at a time (see plan.ts). */
  readonly plan: Iterable<PlannedRollout>;
  /** Rollouts of the whole plan already committed before this call (resume), for progress. */
  readonly alreadyDone: number;
  readonly total: number;
  readonly env: ResolvedScenario['env'];
  readonly envParams: unknown;
  readonly dir: string;
  readonly registry: Registry;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly shouldStop?: () => string | null;
  readonly onProgress?: (done: number, total: number) => void;
  readonly services?: AgentServices;
  readonly prefixFor?: (planned: PlannedRollout) => readonly Action[] | undefined;
  /** Where rollouts run; default: this process with `concurrency` slots. Closed when the loop ends. */
  readonly place?: RolloutPlace;
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown }).then === 'function';

export interface PlanOutcome {
  readonly ran: number;
  readonly terminations: Record<Termination, number>;
  readonly stoppedBecause: string | null;
}

/**
 * Run planned rollouts into `dir` with at most `concurrency` in flight,
 * committing each as it finishes. Shared by `run` and `fork`. An aborted
 * rollout is never committed, so it is re-run on resume, never half-counted.
 */
export async function executePlan(x: PlanExecution): Promise<PlanOutcome> {
  const place = x.place ?? localPlace({ scenario: x, registry: x.registry, slots: x.concurrency, services: x.services, prefixFor: x.prefixFor });
  const writer = new RunWriter(x.dir);
  const terminations: Record<Termination, number> = { terminated: 0, truncated: 0, error: 0 };
  const inflight = new Set<Promise<void>>();
  let stoppedBecause: string | null = null;
  // The place itself was lost (e.g. the queue's server), or a write to the
  // log failed (a full disk): nothing more is started, rollouts in flight
  // settle uncommitted, what is committed stays, and the error is rethrown.
  let lost: { readonly error: unknown } | null = null;
  // The place stopped the run itself (see Withdrawn): why.
  let withdrawn: string | null = null;
  let ran = 0;
  let lastYield = Date.now();
  x.onProgress?.(x.alreadyDone, x.total);

  // Never throws: a failure is kept in `lost`.
  const commit = (sink: StepBuffer, result: ExecuteResult | Withdrawn): void => {
    if ('withdrawn' in result) withdrawn ??= result.withdrawn;
    if (x.signal?.aborted || lost || 'withdrawn' in result) return sink.discard();
    try {
      writer.commit(sink, result.line);
      terminations[result.end.termination]++;
      ran++;
      x.onProgress?.(x.alreadyDone + ran, x.total);
    } catch (error) {
      failed(sink, error);
    }
  };
  const failed = (sink: StepBuffer, error: unknown): void => {
    sink.discard();
    lost ??= { error };
  };
  // Commits at once a rollout that finished without waiting (scripted); returns a promise (never rejecting) for one in flight.
  const runOne = (planned: PlannedRollout): Promise<void> | undefined => {
    const sink = writer.stepBuffer();
    let result: Promise<ExecuteResult | Withdrawn> | ExecuteResult;
    try {
      result = place.run(planned, sink, x.signal);
    } catch (error) {
      failed(sink, error);
      return undefined;
    }
    if (!isPromise(result)) {
      commit(sink, result);
      return undefined;
    }
    return Promise.resolve(result).then(
      (r) => commit(sink, r),
      (error) => failed(sink, error),
    );
  };

  const plan = x.plan[Symbol.iterator]();
  // The synchronous stretch: start rollouts in plan order, committing each
  // one that finishes without waiting (scripted) at once, until the plan
  // ends, a stop applies, the slots are full of rollouts in flight, or 10 ms
  // have passed (time to let signals, timers and progress through). A plain
  // function, not the loop of this async one: V8 optimises a hot loop while
  // it runs (on-stack replacement) only outside async functions, so that
  // loop ran unoptimised until executePlan had been called a few times: a
  // scripted run spends its time here (docs/throughput.md).
  const stretch = (): 'ended' | 'full' | 'yield' => {
    for (;;) {
      // The stop checks come after the plan's end, so that a budget reached by the last rollout stops nothing.
      const next = plan.next();
      if (next.done) return 'ended';
      stoppedBecause = x.signal?.aborted ? 'interrupted' : (x.shouldStop?.() ?? withdrawn);
      if (stoppedBecause || lost) return 'ended';
      const running = runOne(next.value);
      if (running !== undefined) {
        const p = running.then(() => void inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= place.slots) return 'full';
      }
      if (Date.now() - lastYield > 10) return 'yield';
    }
  };

  try {
    for (let why = stretch(); why !== 'ended'; why = stretch()) {
      if (why === 'full') {
        place.flush?.();
        await Promise.race(inflight);
        if (Date.now() - lastYield <= 10) continue;
      }
      await yieldToLoop();
      lastYield = Date.now();
    }
    place.flush?.();
    await Promise.all(inflight);
  } finally {
    writer.close();
    plan.return?.();
    await place.close?.();
  }
  if (lost) throw (lost as { error: unknown }).error;
  if (x.signal?.aborted && !stoppedBecause) stoppedBecause = 'interrupted';
  // A rollout withdrawn after the last start: the run is short of it.
  stoppedBecause ??= withdrawn;
  return { ran, terminations, stoppedBecause };
}

export async function runScenario(s: ResolvedScenario, opts: RunOptions): Promise<RunSummary> {
  const dir = opts.out;
  const { resumed, lock } = prepareDirectory(s, opts);
  const manifestPath = join(dir, FILES.manifest);
  const startedAt = new Date().toISOString();
  let wroteRunning = false;
  try {
    let recovered: RunSummary['recovered'];
    let finished: ReadonlySet<string> = new Set();
    if (resumed) {
      const r = await recoverRun(dir);
      finished = r.finished;
      recovered = { retired: r.retired, incomplete: r.incomplete, droppedSteps: r.droppedSteps, tornLines: r.tornLines };
    }
    writeJsonAtomic(manifestPath, buildManifest(s, opts.version, 'running', opts.manifestExtra, { startedAt }));
    wroteRunning = true;

    const total = planSize(s);
    const alreadyDone = finished.size;
    // Only a caller that needs the whole to-do list up front (batches) makes the plan concrete.
    if (opts.onStart) await opts.onStart([...planRollouts(s, finished)]);
    const executed = await executePlan({
      plan: planRollouts(s, finished),
      alreadyDone,
      total,
      env: s.env,
      envParams: s.envParams,
      dir,
      registry: opts.registry,
      concurrency: Math.max(1, opts.concurrency ?? s.spec.concurrency),
      signal: opts.signal,
      shouldStop: opts.shouldStop,
      onProgress: opts.onProgress,
      services: opts.services,
      place: opts.place,
    });
    const outcome = executed.stoppedBecause ? executed : { ...executed, stoppedBecause: opts.stoppedBy?.() ?? null };
    const status: Manifest['status'] = outcome.stoppedBecause ? 'interrupted' : 'finished';
    writeJsonAtomic(manifestPath, buildManifest(s, opts.version, status, opts.manifestExtra, { startedAt, finishedAt: new Date().toISOString() }));
    return { dir, status, total, skipped: alreadyDone, ...outcome, ...(recovered ? { recovered } : {}) };
  } catch (e) {
    // The place was lost or the disk failed: what was committed stays, and the run is resumable.
    if (wroteRunning) markStopped(manifestPath, () => buildManifest(s, opts.version, 'interrupted', { ...opts.manifestExtra, stoppedBecause: errorLine(e) }, { startedAt }), lock);
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * After a failure (often a full disk): say in the manifest that the run
 * stopped and why, so it is not left `running`. On a full disk the lock's
 * reserve is freed for it. If even that fails, the manifest stays as it was
 * and the caller's error (with its resume hint) is what the user sees.
 */
export function markStopped(manifestPath: string, manifest: () => Manifest, lock: RunLock): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return writeJsonAtomic(manifestPath, manifest());
    } catch {
      // A full disk: the lock's reserved space is what the manifest needs.
      lock.freeReserve();
    }
  }
}

/** An agent's family and scale, when the scenario gives them (only then are the keys written). */
function ladderOf(spec: { family?: string; scale?: number } | undefined): { family?: string; scale?: number } {
  return spec?.family !== undefined && spec.scale !== undefined ? { family: spec.family, scale: spec.scale } : {};
}
