/**
 * `hotmess worker --queue redis://…`: takes jobs from the queue, runs their
 * rollouts, and returns them. It writes nothing anywhere: the coordinator
 * commits. Before running a job it recomputes the job's fingerprint from
 * its own checkout and refuses a mismatch with one line.
 */
import { basename, resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { canonicalJson, hashString, HotmessError, type AgentServices } from '../core/index.js';
import { ByteSink, executeRollout, InstanceCache, parseScenario, resolveScenario, type Registry, type ResolvedScenario } from '../engine/index.js';
import { fingerprint, fingerprintMismatch, type Fingerprint } from './fingerprint.js';
import { QUEUE_NAME, RESULT_TTL_SECONDS, ResultBlob, resultKey, rolloutAt, type JobData, type JobResult } from './jobs.js';
import { checkReachable, watchRedis, type QueueUrl } from './redis.js';
import { BlobLink } from './blob-link.js';
import { isModelBacked } from './model.js';
import { RequestPermits } from './permits.js';

/** What a model-backed rollout in a queue worker draws on (see QueueWorkerOptions.models). */
export interface QueueModelContext {
  /** Wait for the run's queue-wide permit for one request (at once when the scenario sets no `queueRateLimit`). */
  readonly permit: () => Promise<void>;
  /** Keep one of the runtime's calls (ledger, cache, halt, notice) for the coordinator: the worker writes nothing. */
  readonly record: (call: unknown) => void;
  /** A cache file the job brought from the run, by path (only its file name counts); null when none. */
  readonly cacheText: (file: string) => string | null;
}

export interface QueueWorkerOptions {
  readonly url: QueueUrl;
  readonly registry: Registry;
  /** The checkout: job fingerprints are checked against it, and scenario paths resolved in it. */
  readonly root: string;
  readonly version: string;
  /** Jobs at once (model-backed rollouts wait on the network; scripted ones want one worker per core). */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal: a killed worker's job is re-queued after about this long. */
  readonly lockMs?: number;
  readonly signal: AbortSignal;
  /** One line per event worth telling (ready, a refused job). */
  readonly onLine: (line: string) => void;
  /** The services of a model-backed rollout (the CLI joins the LLM runtime to the queue here); without it such jobs fail. */
  readonly models?: (ctx: QueueModelContext) => AgentServices;
}

export interface QueueWorkerSummary {
  readonly jobs: number;
  readonly rollouts: number;
  readonly refused: number;
}

export async function serveQueue(o: QueueWorkerOptions): Promise<QueueWorkerSummary> {
  await checkReachable(o.url);
  const scenarios = new Map<string, Promise<{ s: ResolvedScenario; fp: Fingerprint }>>();
  const summary = { jobs: 0, rollouts: 0, refused: 0 };

  // Environment instances built once per scenario and shared by its rollouts, as in one process and in --workers (engine/instances.ts).
  const instances = new WeakMap<ResolvedScenario, InstanceCache>();
  const instancesOf = (s: ResolvedScenario): InstanceCache => {
    let cache = instances.get(s);
    if (!cache) instances.set(s, (cache = new InstanceCache(s.env, s.envParams)));
    return cache;
  };

  const scenarioOf = (d: JobData) => {
    const key = hashString(canonicalJson({ spec: d.spec, file: d.file }));
    let entry = scenarios.get(key);
    if (!entry) {
      const file = d.file === null ? null : resolve(o.root, d.file);
      entry = resolveScenario(parseScenario(d.spec, file ?? '<job scenario>'), o.registry, file).then((s) => ({ s, fp: fingerprint(o.root, s, o.version) }));
      entry.catch(() => scenarios.delete(key));
      scenarios.set(key, entry);
    }
    return entry;
  };

  const process = async (job: Job<JobData>): Promise<JobResult> => {
    const d = job.data;
    if (d?.v !== 1 || typeof d.run !== 'string') throw new Error(`job ${job.id}: not a hotmess job`);
    const { s, fp } = await scenarioOf(d);
    const mismatch = fingerprintMismatch(d.fingerprint, fp);
    if (mismatch) {
      summary.refused++;
      const line = `refusing job ${job.id} of run ${d.name} (${d.run}): ${mismatch}; every machine must run the same checkout`;
      o.onLine(line);
      throw new Error(line);
    }
    const agent = s.agents.find((a) => a.name === d.agent);
    if (!agent) throw new Error(`job ${job.id}: agent "${d.agent}" is not in the scenario`);
    const calls: unknown[] = [];
    let services: AgentServices | undefined;
    const limit = s.spec.queueRateLimit;
    const rate = isModelBacked(agent) && limit ? holdPermits(d.run, limit) : null;
    try {
      if (isModelBacked(agent)) {
        if (!o.models) throw new Error(`job ${job.id}: agent "${d.agent}" is model-backed, and this worker runs only scripted agents`);
        const cache = d.cache;
        services = o.models({
          permit: () => rate?.acquire() ?? Promise.resolve(),
          record: (call) => calls.push(call),
          cacheText: (file) => (cache && cache.file === basename(file) ? cache.text : null),
        });
      }
      return await runJob(job, s, agent, services, calls);
    } finally {
      if (rate) await letGoPermits(d.run);
    }
  };

  const runJob = async (job: Job<JobData>, s: ResolvedScenario, agent: ResolvedScenario['agents'][number], services: AgentServices | undefined, calls: unknown[]): Promise<JobResult> => {
    const d = job.data;
    await running.take();
    const out = new ResultBlob(sinks.pop());
    let lastYield = Date.now();
    let stored: { blob: Buffer; result: JobResult };
    try {
      for (let k = 0; k < d.count; k++) {
        const at = rolloutAt(s.spec, agent.name, d.horizon, d.first + k);
        const planned = { id: at.id, agent, horizon: d.horizon, instance: at.instance, index: at.index, seeds: at.seeds };
        out.begin();
        const r = await executeRollout({ planned, env: s.env, envParams: s.envParams, registry: o.registry, sink: out.sink, instances: instancesOf(s), services });
        out.end(r.line);
        // Scripted rollouts never wait: let lock renewals, and the previous job's trip to Redis, through now and then.
        if (Date.now() - lastYield > 20) {
          await yieldToLoop();
          lastYield = Date.now();
        }
      }
      stored = out.finish(resultKey(job.id!), calls);
    } finally {
      running.give();
    }
    // The blob under its own key, the reference as the return value (see jobs.ts); a re-run job writes the same bytes.
    const { blob, result } = stored;
    try {
      await link.set(result.key, blob, RESULT_TTL_SECONDS);
    } finally {
      sinks.push(out.sink);
    }
    summary.jobs++;
    summary.rollouts += d.count;
    return result;
  };

  // One permit queue per run with a queue-wide rate, held while this worker has a model-backed job of the run in hand, then closed
  // (the coordinator removes the queue from Redis when the run ends; a worker that kept it open would keep its keys alive).
  const permits = new Map<string, { readonly permits: RequestPermits; jobs: number }>();
  const holdPermits = (run: string, limit: { max: number; duration: number }): RequestPermits => {
    let held = permits.get(run);
    if (!held) permits.set(run, (held = { permits: new RequestPermits(o.url, run, limit), jobs: 0 }));
    held.jobs++;
    return held.permits;
  };
  const letGoPermits = async (run: string): Promise<void> => {
    const held = permits.get(run);
    if (!held || --held.jobs > 0) return;
    permits.delete(run);
    await held.permits.close();
  };
  // Result buffers, reused across jobs (one per job in hand): a job's megabytes are not allocated, and collected, afresh.
  const sinks: ByteSink[] = [];
  // The blob goes to Redis on a link of its own (blob-link.ts says why).
  const link = new BlobLink(o.url);
  const lockDuration = o.lockMs ?? 30_000;
  // One job more in hand than run at once: while a finished job's blob goes to Redis and BullMQ completes it and
  // hands over the next (round trips in which a worker with one job would sit idle), the next job already runs.
  const running = new Slots(o.concurrency);
  const worker = new Worker<JobData, JobResult>(QUEUE_NAME, process, {
    connection: o.url.options as ConnectionOptions,
    concurrency: o.concurrency + 1,
    lockDuration,
    stalledInterval: lockDuration,
    // A job whose worker was killed is re-queued, a few times over.
    maxStalledCount: 5,
  });
  worker.on('error', () => undefined);
  let lostError: HotmessError | null = null;
  let stop = () => undefined as void;
  const stopped = new Promise<void>((done) => (stop = done));
  o.signal.addEventListener('abort', () => stop(), { once: true });
  const watch = watchRedis(o.url, (e) => {
    lostError = e;
    stop();
  });
  await worker.waitUntilReady();
  o.onLine(`worker ready on ${o.url.shown} (concurrency ${o.concurrency}); Ctrl-C stops it after the jobs in hand`);
  await stopped;
  watch.stop();
  if (lostError) {
    // No clean close without a server: cut the connections and say so.
    await Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 200))]);
    link.close();
    for (const p of permits.values()) void p.permits.close();
    throw lostError;
  }
  await worker.close();
  await Promise.all([...permits.values()].map((p) => p.permits.close()));
  link.close();
  return summary;
}

/** At most `size` holders at once; a slot given back goes straight to the next in line. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async take(): Promise<void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
