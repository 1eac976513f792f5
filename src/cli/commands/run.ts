/** `hotmess run SCENARIO`: every rollout of a scenario into a run directory. */
import type { Command } from 'commander';
import { Cli, processIO } from '../io.js';
import { join, relative, resolve } from 'node:path';
import { EXIT_CODES, HotmessError, isOsError, type AgentServices } from '../../core/index.js';
import { autoWorkers, loadScenario, localPlace, runScenario, splitPlace, workerPool, type PoolServices, type ResolvedAgent, type ResolvedScenario, type RolloutPlace, type RunSummary } from '../../engine/index.js';
import { hasModelAgents, llmRuntimeOf, modelAgentOf, runtimeHost, type RuntimeCall, type RuntimeNews } from '../../llm/index.js';
import { cliInvocation, createProgress, stamp, withInterrupt } from '../output.js';
import { REGISTRY } from '../registry.js';
import { CHECKOUT_ROOT, PACKAGE_VERSION } from '../version.js';
import { afterRun } from '../after-run.js';
import { dryRun, loadRunScenario, prepareLlmRun, type LlmTotals } from '../../workflows/index.js';
import { formatEstimate, formatTotals, llmOptions } from '../llm-flags.js';
import { intFlag, optionalIntFlag, POSITIVE } from '../flags.js';

export interface RunFlags {
  out?: string;
  concurrency?: string;
  /** Worker processes: a positive integer or `auto` (one per core). */
  workers?: string;
  /** Coordinate `hotmess worker` processes through BullMQ on this Redis: redis://HOST:PORT[/DB]. */
  queue?: string;
  /** Queue: steps per job of scripted rollouts. */
  jobSteps?: string;
  resume?: boolean;
  analyze?: boolean;
  json?: boolean;
  /** Model agents: stop starting rollouts once this many USD were spent in this invocation. */
  maxCost?: string;
  /** Model agents: process-wide cap on API requests in flight. */
  maxRequests?: string;
  /** Re-run the logged run RUN from its response cache, with no API calls. */
  replay?: string;
  dryRun?: boolean;
  /** `anthropic` agents through Message Batches, in lockstep, at the batch price. */
  batch?: boolean;
  batchPoll?: string;
}

export type RunResult = RunSummary & { readonly llm?: LlmTotals };




export function parseWorkers(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto') return autoWorkers();
  return intFlag('--workers', String(v), { min: 1, max: 1024, expected: 'a positive integer or "auto"' });
}

/**
 * Where this run's rollouts run: this process (one worker), or N worker
 * processes. Model-backed rollouts run in the workers too, drawing on this
 * process's one request limiter, cost ledger (so its budget) and response
 * cache (llm/remote.ts), `concurrency` of them in flight across the
 * workers. Two kinds stay here: local models (each worker would load the
 * model again) and `--batch` (one batcher keeps every rollout in lockstep).
 */
export function placeFor(s: ResolvedScenario, workers: number, concurrency: number, services: AgentServices | undefined): RolloutPlace | undefined {
  if (workers <= 1) return undefined;
  const runtime = services && hasModelAgents(s.agents) ? llmRuntimeOf({ services }) : null;
  const staysHere = (a: ResolvedAgent): boolean => {
    const m = modelAgentOf(a);
    return m !== null && (m.def.llm.provider === 'local' || runtime?.batcher != null);
  };
  const pool = workerPool({
    entry: new URL('../rollout-worker.ts', import.meta.url),
    workers,
    scenario: { spec: s.spec, file: s.file ? resolve(s.file) : null },
    ...(runtime ? { depth: Math.max(2, Math.ceil(concurrency / workers)), services: hostServices(runtimeHost(runtime)) } : {}),
  });
  if (!s.agents.some(staysHere)) return pool;
  const here = localPlace({ scenario: s, registry: REGISTRY, slots: concurrency, services });
  return splitPlace((p) => staysHere(p.agent), here, pool);
}

/** The run's LLM runtime as the pool's services (its messages are the runtime's calls and news). */
function hostServices(host: ReturnType<typeof runtimeHost>): PoolServices {
  return {
    init: () => host.init(),
    attach(send) {
      const link = host.attach((m: RuntimeNews) => send(m));
      return { receive: (m) => link.receive(m as RuntimeCall), detach: () => link.detach() };
    },
  };
}

const resumeCommand = (file: string | undefined, flags: RunFlags, out: string): string => `${cliInvocation()} run ${flags.replay ? `--replay ${flags.replay}` : file} --out ${out} --resume${flags.queue ? ` --queue ${flags.queue}${flags.jobSteps ? ` --job-steps ${flags.jobSteps}` : ''}` : ''}`;

/** `run --queue`: this process coordinates `hotmess worker` processes through BullMQ (see docs/scale-out.md). */
async function queueFor(s: ResolvedScenario, flags: RunFlags, out: string, cli: Cli, services: AgentServices | undefined, shouldStop: (() => string | null) | undefined): Promise<RolloutPlace> {
  if (flags.workers !== undefined) throw new HotmessError('usage', '--workers and --queue: choose one (start `hotmess worker` processes instead)');
  if (flags.replay) throw new HotmessError('usage', '--replay and --queue: a replay makes no calls; run it without --queue');
  if (flags.batch) throw new HotmessError('usage', '--batch and --queue: Message Batches keep every rollout in lockstep in one process; run --batch without --queue');
  const maxCostUsd = llmOptions(flags).maxCost;
  const models = services && hasModelAgents(s.agents) ? { runtime: llmRuntimeOf({ services }), shouldStop: shouldStop ?? (() => null), ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) } : null;
  // BullMQ loads only when a run uses the queue.
  const { checkReachable, fingerprint, parseQueueUrl, queuePlace, runId } = await import('../../queue/index.js');
  const url = parseQueueUrl(flags.queue!);
  await checkReachable(url);
  return queuePlace({
    url,
    scenario: s,
    run: runId(s.hash, resolve(out)),
    file: s.file ? relative(CHECKOUT_ROOT, resolve(s.file)) : null,
    fingerprint: fingerprint(CHECKOUT_ROOT, s, PACKAGE_VERSION),
    jobSteps: optionalIntFlag('--job-steps', flags.jobSteps, POSITIVE),
    onNote: cli.warn,
    ...(models ? { models } : {}),
  });
}

/** `cli` defaults to the real process (library callers and tests that call this directly). */
export async function runCommand(file: string | undefined, flags: RunFlags, cli: Cli = new Cli(processIO())): Promise<RunResult> {
  if (flags.replay && file) throw new HotmessError('usage', '--replay takes the scenario from the run it replays; drop the scenario argument');
  if (!flags.replay && !file) throw new HotmessError('usage', 'missing scenario: hotmess run SCENARIO.yaml (or --replay RUN --out DIR)');
  if (flags.replay && !flags.out) throw new HotmessError('usage', '--replay needs --out DIR: a new run directory for the replayed logs');
  if (flags.out) cli.writing = { dir: flags.out, resume: resumeCommand(file, flags, flags.out) };
  const scenario = flags.replay ? await loadRunScenario(flags.replay, REGISTRY) : await loadScenario(file!, REGISTRY);
  if (flags.resume && !flags.out) throw new HotmessError('usage', '--resume needs --out DIR: the run directory to continue');
  const out = flags.out ?? join('runs', `${scenario.spec.name}-${stamp(new Date())}`);
  cli.writing = { dir: out, resume: resumeCommand(file, flags, out) };
  const llm = prepareLlmRun(scenario, out, llmOptions(flags), (line) => cli.err(line + '\n'));
  // --batch: every rollout in flight at once.
  const concurrency = llm.concurrency ?? optionalIntFlag('--concurrency', flags.concurrency, { min: 1 });
  const workers = parseWorkers(flags.workers) ?? parseWorkers(scenario.spec.workers) ?? 1;
  const queue = flags.queue ? await queueFor(scenario, flags, out, cli, llm.services, llm.shouldStop) : undefined;
  const progress = flags.json ? null : createProgress(cli, `run ${scenario.spec.name}`, 0);
  return withResumeHint(cli.writing.resume, () => withInterrupt(cli, 'finished rollouts', async (signal) => {
    const place = queue ?? placeFor(scenario, workers, concurrency ?? scenario.spec.concurrency, llm.services);
    const summary = await runScenario(scenario, {
      out,
      registry: REGISTRY,
      version: PACKAGE_VERSION,
      resume: flags.resume,
      concurrency,
      place,
      signal,
      onProgress: progress ? (done, total) => progress.update(done, total) : undefined,
      services: llm.services,
      shouldStop: llm.shouldStop,
      manifestExtra: llm.manifestExtra,
      onStart: llm.onStart,
      stoppedBy: llm.stoppedBy,
    }).catch((e: unknown) => {
      // The queue's server went away: the one line says how to carry on.
      if (queue && e instanceof HotmessError && e.code === 'network') throw new HotmessError('network', `${e.message}; what was committed is kept; continue with: ${resumeCommand(file, flags, out)}`);
      throw e;
    });
    progress?.finish();
    const totals = llm.finish(summary);
    return totals ? { ...summary, llm: totals } : summary;
  }));
}

/**
 * A full disk, a quota or a device error stops the run with one line: what
 * failed, that committed rollouts are kept, and the command that continues.
 */
async function withResumeHint<T>(again: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (isOsError(e) && e.resumable) throw new HotmessError(e.code, `${e.message}; the rollouts committed so far are kept; free space, then continue with: ${again}`, { cause: e });
    throw e;
  }
}

export function register(program: Command, cli: Cli): void {
  program
    .command('run')
    .description('Run every rollout of a scenario (agents × horizons × instances × rollouts) and log every step.')
    .argument('[scenario]', 'scenario YAML file (omit with --replay)')
    .option('--out <dir>', 'run directory (default: runs/<name>-<timestamp>)')
    .option('--concurrency <n>', 'rollouts in flight at once (overrides the scenario)')
    .option('--workers <n>', 'worker processes for scripted rollouts: a number or "auto" (one per core); default 1, or the scenario\'s `workers`')
    .option('--queue <url>', 'coordinate `hotmess worker` processes through BullMQ on Redis: redis://HOST:PORT[/DB] (docs/scale-out.md)')
    .option('--job-steps <n>', 'with --queue: scripted rollouts are batched into jobs of about this many steps (default 10000; keep it when resuming)')
    .option('--resume', 'continue an interrupted run in --out without redoing finished rollouts')
    .option('--analyze', 'analyse the run and write the report when it finishes')
    .option('--json', 'print the run summary as JSON')
    .option('--dry-run', 'estimate the cost of the model calls and exit; makes no calls and writes nothing')
    .option('--max-cost <usd>', 'model agents: start no new rollout once this invocation spent USD (resume to continue)')
    .option('--max-requests <n>', 'model agents: cap on API requests in flight across all rollouts (default: the concurrency)')
    .option('--replay <run>', 're-run a logged run from its response cache with no API calls (needs --out)')
    .option('--batch', 'anthropic agents: Message Batches in lockstep (one batch per step) at half price; every rollout is live from step 1')
    .option('--batch-poll <ms>', 'with --batch: first poll of a batch after this many ms, then 1.5x longer each time up to 2 minutes (default 2000)')
    .action(async (file: string | undefined, flags: RunFlags) => {
      if (flags.dryRun) {
        if (!file) throw new HotmessError('usage', 'missing scenario: hotmess run SCENARIO.yaml --dry-run');
        const scenario = await loadScenario(file, REGISTRY);
        const estimate = dryRun(scenario, flags.batch === true);
        if (flags.json) cli.json(estimate);
        else cli.out(formatEstimate(scenario.spec.name, estimate));
        return;
      }
      const summary = await runCommand(file, flags, cli);
      const t = summary.terminations;
      if (!flags.json) {
        cli.out(
          `run written to ${summary.dir} (${summary.status}): ${summary.ran} rollouts run, ${summary.skipped} already done; ` +
            `${t.terminated} terminated, ${t.truncated} truncated, ${t.error} error\n`,
        );
        if (summary.recovered) {
          const r = summary.recovered;
          const lost = r.incomplete > 0 ? `, ${r.incomplete} rollouts with missing steps retired and re-run` : '';
          cli.out(`resumed: ${r.droppedSteps} uncommitted step lines dropped, ${r.tornLines} torn lines skipped, ${r.retired} error rollouts retired to retired.jsonl and re-run${lost}\n`);
        }
        if (summary.llm) cli.out(formatTotals(summary.llm));
      }
      const again = resumeCommand(file, flags, summary.dir);
      // A bad key or an unreachable server stops the run (even one whose last rollouts met it): say what to fix.
      const halted = summary.llm?.halted;
      if (summary.status === 'interrupted' || halted) {
        if (flags.json) cli.json(summary);
        cli.err(halted ? `hotmess: ${halted.reason}; then continue with: ${again}\n` : `hotmess: run stopped (${summary.stoppedBecause}); continue with: ${again}\n`);
        cli.exitCode = halted ? EXIT_CODES[halted.code] : summary.stoppedBecause?.startsWith('cost budget') ? EXIT_CODES.budget : 130;
        return;
      }
      const after = flags.analyze ? await afterRun(cli, summary.dir, { json: flags.json === true }) : null;
      if (flags.json) cli.json(after ? { ...summary, ...after } : summary);
      if (t.error > 0) {
        // The run is complete but not whole: say so, and exit non-zero for scripts.
        cli.err(`hotmess: ${t.error} rollout(s) ended in error (see "error" in rollouts.jsonl); they are excluded from metrics; re-run them with: ${again}\n`);
        cli.exitCode = EXIT_CODES.agent;
      }
    });
}
