/**
 * `hotmess worker --queue redis://…`: takes jobs from the queue, runs their
 * rollouts, and returns them. It writes nothing anywhere: the coordinator
 * commits. Before running a job it recomputes the job's fingerprint from
 * its own checkout and refuses a mismatch with one line.
 */
import { basename, resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { canonicalJson, hashString, HotmessError, type AgentServices } from '../core/index.js';
import { ByteSink, executeRollout, InstanceCache, parseScenario, resolveScenario, type Registry, type ResolvedAgent, type ResolvedScenario } from '../engine/index.js';
import type { RuntimeCall } from '../llm/index.js';
import { fingerprint, fingerprintMismatch, type Fingerprint } from './fingerprint.js';
import { QUEUE_NAME, RESULT_TTL_SECONDS, ResultBlob, resultKey, rolloutAt, type JobData, type JobResult } from './jobs.js';
import { checkReachable, watchRedis, type QueueUrl } from './redis.js';
import { BlobLink } from './blob-link.js';
import { isModelBacked } from './model.js';
import { RequestPermits, type RateLimit } from './permits.js';
import { AttemptCalls, earlierCacheLines, runStopped, STOPPED_BY_RUN } from './calls.js';
import { bounded, REDIS_WAIT_MS } from './bounded.js';

/** How often a worker with model-backed jobs of a run in hand looks whether the run was stopped. */
const STOP_POLL_MS = 500;

/** The coordinator stopped the run (its reason). */
class RunStopped extends Error {}

/** A model-backed job in hand. */
interface InHand {
  readonly abort: AbortController;
  /** Requests let through (their `sent` entry is out) and not yet settled: in flight. */
  readonly inFlight: Set<number>;
  /** The run was stopped while a request was in flight: give up once it is settled (its reply read and recorded). */
  stopAsked: string | null;
}

interface HeldRun {
  readonly permits: RequestPermits | null;
  jobs: number;
  readonly hands: Set<InHand>;
  readonly poll: NodeJS.Timeout;
}

/** What a model-backed rollout in a queue worker draws on (see QueueWorkerOptions.models). */
export interface QueueModelContext {
  /**
   * Before each HTTP attempt: the calls so far are in Redis, the run is not
   * stopped, and the run's queue-wide permit is taken (at once when the
   * scenario sets no `queueRateLimit`). Rejects when the run was stopped.
   */
  readonly permit: () => Promise<void>;
  /** One of the runtime's calls (ledger, cache, halt, notice), onto the run's stream for the coordinator: the worker writes nothing. */
  readonly record: (call: RuntimeCall) => void;
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
    if (!isModelBacked(agent)) return runJob(job, s, agent);
    if (!o.models) throw new Error(`job ${job.id}: agent "${d.agent}" is model-backed, and this worker runs only scripted agents`);
    return runModelJob(job, s, agent, o.models);
  };

  /**
   * One attempt of a model-backed job: its calls go on the run's stream as
   * they happen (calls.ts); a request goes out once the run is not stopped,
   * the queue-wide permit is taken and its `sent` entry is in Redis. A stop of
   * the run gives the rollout up between requests (never mid-request: a
   * request in flight is paid, and its reply is recorded); the job then
   * fails for good, and `--resume` runs it again.
   */
  const runModelJob = async (job: Job<JobData>, s: ResolvedScenario, agent: ResolvedAgent, models: NonNullable<QueueWorkerOptions['models']>): Promise<JobResult> => {
    const d = job.data;
    const run = holdRun(d.run, s.spec.queueRateLimit);
    const calls = new AttemptCalls(store, d.run, job.id!);
    const hand: InHand = { abort: new AbortController(), inFlight: new Set(), stopAsked: null };
    const { signal } = hand.abort;
    run.hands.add(hand);
    try {
      calls.record({ op: 'begin' });
      const earlier = await earlierCacheLines(store, job.id!);
      const notStopped = async () => {
        const why = await runStopped(store, d.run);
        if (why !== null) throw new RunStopped(why);
      };
      // A request goes on the run's ledger when it is let through: one given up before (the run stopped while it waited for its
      // permit) was never sent, so neither its `sent` entry nor its settling one goes out.
      const held: RuntimeCall[] = [];
      const services = models({
        permit: async () => {
          try {
            await notStopped();
            await run.permits?.acquire(signal);
            await notStopped();
            // Given up meanwhile (a stop seen by the look-out): not let through.
            signal.throwIfAborted();
            for (const call of held.splice(0)) {
              calls.record(call);
              if (call.op === 'sent') hand.inFlight.add(call.id);
            }
            await calls.flush();
          } catch (e) {
            if (!signal.aborted) hand.abort.abort(e);
            throw e;
          }
        },
        record: (call) => {
          if (call.op === 'sent') return void held.push(call);
          const settles = call.op === 'lost' || call.op === 'reply' || call.op === 'refused';
          const unsent = settles ? held.findIndex((h) => h.op === 'sent' && h.id === call.id) : -1;
          if (unsent >= 0) return void held.splice(unsent, 1);
          calls.record(call);
          // The last request in flight is settled: a stop seen meanwhile takes effect, once its reply is cached (in this turn).
          if (settles && hand.inFlight.delete(call.id) && hand.inFlight.size === 0 && hand.stopAsked !== null) {
            const why = hand.stopAsked;
            setImmediate(() => hand.abort.abort(new RunStopped(why)));
          }
        },
        cacheText: (file) => {
          const name = basename(file);
          const base = d.cache?.file === name ? d.cache.text : '';
          const text = (base && !base.endsWith('\n') ? base + '\n' : base) + (earlier.get(name) ?? '');
          return text === '' ? null : text;
        },
      });
      return await runJob(job, s, agent, services, signal, async () => {
        run.hands.delete(hand);
        if (signal.aborted) {
          const why: unknown = signal.reason;
          calls.record({ op: 'end', outcome: why instanceof RunStopped ? 'stopped' : 'failed' });
          await calls.flush().catch(() => undefined);
          throw why instanceof RunStopped ? new UnrecoverableError(`${STOPPED_BY_RUN}${why.message}); --resume runs this rollout again`) : why;
        }
        calls.record({ op: 'end', outcome: 'returned' });
        await calls.flush();
        // Which attempt this result is (its calls are on the stream by now): the coordinator settles the job's others.
        return [{ op: 'returned', attempt: calls.token }];
      });
    } finally {
      run.hands.delete(hand);
      await letGoRun(d.run);
    }
  };

  /** `beforeStore`: a model-backed job's last word on its attempt, once its rollout has run; what it returns goes in the result (the attempt). */
  const runJob = async (job: Job<JobData>, s: ResolvedScenario, agent: ResolvedAgent, services?: AgentServices, signal?: AbortSignal, beforeStore?: () => Promise<readonly unknown[]>): Promise<JobResult> => {
    const d = job.data;
    // Scripted jobs take turns (the held one waits here). A model-backed job starts at once, so every model-backed job a
    // worker holds has started: the ones a coordinator withdraws when it stops (a budget, Ctrl-C) are ones no worker holds.
    const gate = isModelBacked(agent) ? null : running;
    await gate?.take();
    const out = new ResultBlob(sinks.pop());
    let lastYield = Date.now();
    let stored: { blob: Buffer; result: JobResult };
    try {
      for (let k = 0; k < d.count; k++) {
        const at = rolloutAt(s.spec, agent.name, d.horizon, d.first + k);
        const planned = { id: at.id, agent, horizon: d.horizon, instance: at.instance, index: at.index, seeds: at.seeds };
        out.begin();
        const r = await executeRollout({ planned, env: s.env, envParams: s.envParams, registry: o.registry, sink: out.sink, instances: instancesOf(s), services, signal });
        out.end(r.line);
        // Scripted rollouts never wait: let lock renewals, and the previous job's trip to Redis, through now and then.
        if (Date.now() - lastYield > 20) {
          await yieldToLoop();
          lastYield = Date.now();
        }
      }
      const attempt = (await beforeStore?.()) ?? [];
      stored = out.finish(resultKey(job.id!), attempt);
    } finally {
      gate?.give();
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

  // What this worker holds for a run while it has model-backed jobs of it in hand: the run's permit queue (its queue-wide rate),
  // and a look at the run's stop every half second. Closed with the last job (the coordinator removes the permit queue when the
  // run ends; a worker that kept it open would keep its keys alive).
  const runs = new Map<string, HeldRun>();
  const holdRun = (run: string, limit: RateLimit | undefined): HeldRun => {
    let held = runs.get(run);
    if (!held) {
      const h: HeldRun = { permits: limit ? new RequestPermits(o.url, run, limit) : null, jobs: 0, hands: new Set(), poll: setInterval(() => void look(h, run), STOP_POLL_MS) };
      runs.set(run, (held = h));
    }
    held.jobs++;
    return held;
  };
  /** The run was stopped: give up rollouts waiting between requests now, the others once their request in flight is back. */
  const look = async (h: HeldRun, run: string) => {
    const why = await runStopped(store, run).catch(() => null);
    if (why === null) return;
    for (const hand of h.hands) {
      if (hand.inFlight.size === 0) hand.abort.abort(new RunStopped(why));
      else hand.stopAsked = why;
    }
  };
  const letGoRun = async (run: string): Promise<void> => {
    const held = runs.get(run);
    if (!held || --held.jobs > 0) return;
    runs.delete(run);
    clearInterval(held.poll);
    await bounded(held.permits?.close() ?? Promise.resolve(), REDIS_WAIT_MS, 'closing the permit queue').catch(() => undefined);
  };
  // Result buffers, reused across jobs (one per job in hand): a job's megabytes are not allocated, and collected, afresh.
  const sinks: ByteSink[] = [];
  // The blob goes to Redis on a link of its own (blob-link.ts says why).
  const link = new BlobLink(o.url);
  // Model-backed jobs' calls and the runs' stop keys (calls.ts); connects on its first command, so a scripted worker never opens it.
  const store = new Redis({ ...o.url.options, lazyConnect: true });
  store.on('error', () => undefined);
  const lockDuration = o.lockMs ?? 30_000;
  // One job more in hand than run at once: while a finished job's blob goes to Redis and BullMQ completes it and
  // hands over the next (round trips in which a worker with one job would sit idle), the next scripted job already runs.
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
  await bounded(worker.waitUntilReady(), REDIS_WAIT_MS, `${o.url.shown}: opening the queue`);
  o.onLine(`worker ready on ${o.url.shown} (concurrency ${o.concurrency}); Ctrl-C stops it after the jobs in hand`);
  await stopped;
  watch.stop();
  if (lostError) {
    // No clean close without a server: cut the connections and say so.
    await Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 200))]);
    link.close();
    store.disconnect();
    for (const p of runs.values()) void p.permits?.close();
    throw lostError;
  }
  await worker.close();
  await Promise.all([...runs.values()].map((p) => p.permits?.close()));
  link.close();
  store.disconnect();
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
