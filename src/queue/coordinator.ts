/**
 * `run --queue redis://…`: the process becomes a coordinator. It is a
 * RolloutPlace, so the batch loop is the same as for one process: the
 * coordinator enqueues each job once (under an id hashed from the run and
 * the job's first rollout), hands each rollout's result to the loop, which
 * commits it, and ignores duplicates. Delivery is at-least-once (a killed
 * worker's job is re-queued by BullMQ's stalled-job check); commits are
 * exactly-once because the loop holds one waiter per uncommitted rollout.
 * Re-attaching (`--resume --queue`) finds jobs that completed meanwhile
 * under the same ids and re-enqueues only what is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { errorText, HotmessError } from '../core/index.js';
import { isModelBacked } from './model.js';
import { endOfLine, type ExecuteResult, type PlannedRollout, type ResolvedScenario, type RolloutPlace, type RolloutSink, type Withdrawn } from '../engine/index.js';
import { rolloutFile, type LlmRuntime } from '../llm/index.js';
import { returnedAttempt, RunCalls } from './calls.js';
import type { Fingerprint } from './fingerprint.js';
import { decodeResult, jobId, jobSlice, QUEUE_NAME, readJobResult, resultKey, rolloutAt, rolloutsPerJob, type JobData, type JobResult, type RolloutResult } from './jobs.js';
import { watchRedis, type QueueUrl } from './redis.js';
import { bounded, REDIS_WAIT_MS } from './bounded.js';
import { removePermitQueue } from './permits.js';
import { BlobLink, ReusedBuffers } from './blob-link.js';

export interface CoordinatorOptions {
  readonly url: QueueUrl;
  readonly scenario: ResolvedScenario;
  /** The run id (jobs.ts runId): stable across `--resume`. */
  readonly run: string;
  /** The scenario file relative to the checkout root (null for in-memory scenarios with registered environments). */
  readonly file: string | null;
  readonly fingerprint: Fingerprint;
  /** Scripted rollouts per job: enough for this many steps (default MIN_JOB_STEPS). A resume must use the same value to find its jobs. */
  readonly jobSteps?: number;
  /** Jobs enqueued ahead of the results committed (default 64). */
  readonly jobsAhead?: number;
  /** Attempts per job before the run stops with its failure (default 5); also the limit on malformed results. */
  readonly attempts?: number;
  /** One-line notes for the user (a malformed result rejected, jobs found on re-attach). */
  readonly onNote?: (line: string) => void;
  /** How long Redis may be unreachable before the run stops (default 5 s). */
  readonly graceMs?: number;
  /** Model-backed agents: the run's runtime (ledger, cache, limiter) that the workers' calls are applied to, as they make them (calls.ts). */
  readonly models?: CoordinatorModels;
}

export interface CoordinatorModels {
  readonly runtime: LlmRuntime;
  /** `--max-cost` (USD): the workers check it too, before each request, against the spend they record in Redis. */
  readonly maxCostUsd?: number;
  /** The run's stop rule (the budget, a halt), checked as the workers' calls arrive: the coordinator stops the run itself. */
  readonly shouldStop: () => string | null;
  /** After a stop for the budget or a halt (not Ctrl-C), how long to wait for the workers' requests in flight to be settled on the ledger (default 10 s; the rest is settled on resume). */
  readonly settleMs?: number;
}

export interface CoordinatorStats {
  /** Jobs this coordinator added to the queue. */
  added: number;
  /** Jobs it found already there (re-attach): waiting, active or completed. */
  found: number;
  /** Results (or parts of results) for rollouts already committed or claimed. */
  duplicates: number;
  malformed: number;
}

export interface QueuePlace extends RolloutPlace {
  readonly stats: CoordinatorStats;
}

interface Waiter {
  readonly sink: RolloutSink;
  readonly resolve: (r: ExecuteResult | Withdrawn) => void;
  readonly reject: (e: unknown) => void;
}

interface OpenJob {
  readonly id: string;
  readonly data: JobData;
  readonly waiters: Map<string, Waiter>;
  /** Results that arrived before the loop asked for them (the job finished early). */
  readonly early: Map<string, RolloutResult>;
  /** The loop has moved past this job: no more waiters will come. */
  closed: boolean;
  done: boolean;
  /** Its result is being fetched and checked (an event and the sweep can both see it complete). */
  reading: boolean;
  malformed: number;
  /** Model-backed: its calls come through the run's stream, and a stop withdraws it. */
  readonly model: boolean;
  /** Withdrawn by a stop of the run: nothing of it is committed; its job stays in Redis for `--resume`. */
  withdrawn: boolean;
}

const MAX_SLOTS = 100_000;

export function queuePlace(o: CoordinatorOptions): QueuePlace {
  const s = o.scenario;
  const attempts = o.attempts ?? 5;
  const stats: CoordinatorStats = { added: 0, found: 0, duplicates: 0, malformed: 0 };
  const jobs = new Map<string, OpenJob>();
  let current: OpenJob | null = null;
  let lost: HotmessError | null = null;
  let started: Promise<void> | null = null;
  let connection: Redis | null = null;
  // Result blobs travel on a link of their own (blob-link.ts says why).
  let link: BlobLink | null = null;
  const buffers = new ReusedBuffers();
  let queue: Queue | null = null;
  let events: QueueEvents | null = null;
  let watch: { stop(): void } | null = null;
  let sweep: NodeJS.Timeout | null = null;
  let calls: RunCalls | null = null;
  let aborted = false;
  const perJob = Math.max(...s.agents.flatMap((a) => s.spec.horizons.map((h) => rolloutsPerJob(s, h, isModelBacked(a), o.jobSteps))));

  const lose = (e: unknown) => {
    lost ??= e instanceof HotmessError ? e : new HotmessError('network', `${o.url.shown}: ${errorText(e)}`);
    for (const job of jobs.values()) for (const w of job.waiters.values()) w.reject(lost);
    jobs.clear();
    calls?.abandon();
  };

  let abortHooked = false;
  /** Stopping: nothing more is committed, so settle every waiter now (the loop discards them); jobs stay queued for a resume. */
  const onAbort = () => {
    aborted = true;
    for (const job of jobs.values()) {
      for (const w of job.waiters.values()) w.resolve({ end: { termination: 'error', error: 'aborted' }, line: '' });
      job.waiters.clear();
    }
    // Workers send no more requests of this run.
    calls?.stop('interrupted');
  };

  /**
   * The run stops (its budget reached, a halt) as the workers' calls arrive:
   * model-backed rollouts in flight are withdrawn (never committed; their
   * workers give them up, and `--resume` runs them again from what they
   * bought), and jobs no worker has started leave the queue.
   */
  const onStop = (why: string) => {
    for (const job of jobs.values()) {
      if (!job.model || job.done || job.reading) continue;
      job.withdrawn = true;
      for (const w of job.waiters.values()) w.resolve({ withdrawn: why });
      job.waiters.clear();
      job.early.clear();
      queue?.remove(job.id).catch(() => 0);
    }
  };

  const forget = (job: OpenJob) => {
    if (job.closed && job.done && job.waiters.size === 0) jobs.delete(job.id);
  };

  const accept = (job: OpenJob, results: readonly RolloutResult[]) => {
    job.done = true;
    for (const r of results) {
      const w = job.waiters.get(r.id);
      if (w) {
        job.waiters.delete(r.id);
        w.sink.bytes(r.steps);
        w.resolve({ end: endOfLine(r.line), line: r.line });
      } else if (!job.closed) job.early.set(r.id, { ...r, steps: Buffer.from(r.steps) }); // a copy: the blob's buffer is used again
      else stats.duplicates++;
    }
    // Committed (or about to be, by the loop, in this turn): the job and its result need not stay in Redis.
    drop(job.id).catch(() => undefined);
    forget(job);
  };

  /** Remove a job and its result blob from Redis. */
  const drop = async (id: string) => {
    await Promise.all([queue!.remove(id), link!.del(resultKey(id))]);
  };

  const onCompleted = async (id: string, raw: unknown) => {
    const job = jobs.get(id);
    if (!job || job.done) return void stats.duplicates++;
    // Finished after the run stopped: its result stays in Redis, and a resume commits it.
    if (job.reading || job.withdrawn) return;
    job.reading = true;
    let held: Buffer | null = null;
    try {
      let ref: JobResult;
      try {
        ref = readJobResult(raw);
      } catch (e) {
        return rejectResult(job, e);
      }
      // A lost server rejects here, and the caller stops the run.
      const blob = await link!.get(ref.key, (size) => (held = buffers.take(size)));
      if (job.done) return;
      let decoded: ReturnType<typeof decodeResult>;
      try {
        decoded = decodeResult(blob, ref, job.data);
      } catch (e) {
        return rejectResult(job, e);
      }
      // A model-backed rollout is committed only once its attempt's calls are all on the run's ledger.
      if (job.model && !(await calls!.settle(job.id, returnedAttempt(decoded.calls)))) return rejectResult(job, new Error('the model calls of the attempt that returned it are not on the run’s call stream'));
      if (job.withdrawn) return;
      accept(job, decoded.rollouts);
    } finally {
      job.reading = false;
      // The loop commits (or discards) what `accept` handed it before the event loop turns: then the buffer is free again.
      const done = held;
      if (done) setImmediate(() => buffers.give(done));
    }
  };

  /** A result that failed its checks: never committed; the same job is enqueued afresh, up to `attempts` times. */
  const rejectResult = (job: OpenJob, e: unknown) => {
    stats.malformed++;
    job.malformed++;
    const why = errorText(e);
    if (job.malformed >= attempts) return lose(new HotmessError('agent', `queue job ${job.id} (${rolloutAt(s.spec, job.data.agent, job.data.horizon, job.data.first).id}…) returned ${job.malformed} malformed results; last: ${why}`));
    o.onNote?.(`rejected a malformed result of job ${job.id} (${why}); it is run again`);
    void drop(job.id)
      .then(() => add(job))
      .catch(lose);
  };

  const onFailed = async (id: string, reason: string) => {
    const job = jobs.get(id);
    // A withdrawn job fails for good when its worker sees the stop (or the budget, before this coordinator has read that far): a resume runs it again.
    const stale = job?.model && !job.withdrawn && calls ? await calls.failed(reason) : false;
    if (!job || job.done || job.withdrawn || !queue) return;
    // Given up for an earlier invocation's stop: it runs again now, as a resume does with a job that failed before it began.
    if (stale) return void (await (await queue.getJob(id))?.retry('failed'));
    const state = await queue.getJobState(id);
    // A failed attempt with attempts left goes back to wait: only the last one stops the run.
    if (state === 'failed') lose(new HotmessError('agent', `queue job ${id} failed ${attempts} times on workers; last: ${reason}`));
  };

  const add = async (job: OpenJob) => {
    await queue!.add('rollouts', job.data, { jobId: job.id, attempts, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: false, removeOnFail: false });
    stats.added++;
  };

  /** Enqueue a job, or re-attach to it if the queue already has it (a resumed coordinator). */
  const submit = async (job: OpenJob) => {
    // State first, then the job: a job read before its state could have completed in between, without its result.
    const state = await queue!.getJobState(job.id);
    if (state === 'unknown') return add(job);
    stats.found++;
    if (state === 'completed') await onCompleted(job.id, (await queue!.getJob(job.id))?.returnvalue);
    else if (state === 'failed') await (await queue!.getJob(job.id))?.retry('failed');
  };

  /** Catch what events can miss (a completion between connecting and listening): check open jobs now and then. */
  const check = async () => {
    for (const job of [...jobs.values()]) {
      if (job.done || lost || !queue) continue;
      const state = await queue.getJobState(job.id);
      if (state === 'completed') await onCompleted(job.id, (await queue.getJob(job.id))?.returnvalue);
      else if (state === 'failed') await onFailed(job.id, (await queue.getJob(job.id))?.failedReason ?? 'unknown');
    }
  };

  const start = async () => {
    connection = new Redis(o.url.options);
    connection.on('error', () => undefined);
    link = new BlobLink(o.url, o.graceMs);
    queue = new Queue(QUEUE_NAME, { connection, streams: { events: { maxLen: 1000 } } });
    queue.on('error', () => undefined);
    events = new QueueEvents(QUEUE_NAME, { connection: o.url.options as ConnectionOptions });
    events.on('error', () => undefined);
    events.on('completed', ({ jobId: id, returnvalue }) => void onCompleted(id, returnvalue).catch(lose));
    events.on('failed', ({ jobId: id, failedReason }) => void onFailed(id, failedReason).catch(lose));
    watch = watchRedis(o.url, lose, o.graceMs);
    await bounded(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), REDIS_WAIT_MS, 'opening the queue');
    if (o.models) {
      calls = new RunCalls({ url: o.url, connection, run: o.run, runtime: o.models.runtime, maxCostUsd: o.models.maxCostUsd, shouldStop: o.models.shouldStop, onStop, onLost: lose });
      await calls.start();
    }
    sweep = setInterval(() => void check().catch(() => undefined), 2000);
  };

  const openJob = (planned: PlannedRollout): OpenJob => {
    const slice = jobSlice(s, planned, rolloutsPerJob(s, planned.horizon, isModelBacked(planned.agent), o.jobSteps));
    const first = rolloutAt(s.spec, planned.agent.name, planned.horizon, slice.first).id;
    const id = jobId(o.run, first);
    if (current?.id === id) return current;
    // The loop runs the plan in order: a new job means the previous one gets no more waiters.
    if (current) {
      current.closed = true;
      current.early.clear();
      forget(current);
    }
    const model = isModelBacked(planned.agent);
    const cache = model && o.models ? cacheOf(o.models.runtime, planned) : null;
    const data: JobData = { v: 1, run: o.run, name: s.spec.name, spec: s.spec, file: o.file, fingerprint: o.fingerprint, agent: planned.agent.name, horizon: planned.horizon, ...slice, ...(cache ? { cache } : {}) };
    const job: OpenJob = { id, data, waiters: new Map(), early: new Map(), closed: false, done: false, reading: false, malformed: 0, model, withdrawn: false };
    jobs.set(id, job);
    current = job;
    void submit(job).catch(lose);
    return job;
  };

  return {
    // Model-backed jobs spend money: no more rollouts in flight than the scenario's concurrency, so the budget is checked between them.
    slots: Math.min(MAX_SLOTS, o.jobsAhead !== undefined ? o.jobsAhead * perJob : s.agents.some(isModelBacked) ? s.spec.concurrency : 64 * perJob),
    stats,
    async run(planned, sink, signal) {
      started ??= start();
      await started.catch(lose);
      if (lost) throw lost;
      if (signal?.aborted) return { end: { termination: 'error', error: 'aborted' }, line: '' };
      if (calls?.stopped && isModelBacked(planned.agent)) return { withdrawn: calls.stopped };
      const job = openJob(planned);
      const early = job.early.get(planned.id);
      if (early) {
        job.early.delete(planned.id);
        sink.bytes(early.steps);
        return { end: endOfLine(early.line), line: early.line };
      }
      if (signal && !abortHooked) {
        abortHooked = true;
        signal.addEventListener('abort', onAbort, { once: true });
      }
      return new Promise<ExecuteResult | Withdrawn>((resolve, reject) => job.waiters.set(planned.id, { sink, resolve, reject }));
    },
    async close() {
      if (sweep) clearInterval(sweep);
      watch?.stop();
      // The workers' calls: after a stop, what their requests in flight cost is waited for (a while); a finished run's stream goes.
      const finished = !lost && !aborted && !calls?.stopped && [...jobs.values()].every((j) => j.done);
      // Ctrl-C waits for nothing: a request in flight stays `sent` on the ledger, and its reply, which its worker puts on the
      // run's stream, settles it on `--resume` (as after a kill -9). A budget stop waits a while, so its totals are known now.
      if (calls && !lost) await calls.close({ finished, settleMs: aborted ? 0 : (o.models?.settleMs ?? 10_000) });
      // Stopped short (a budget, Ctrl-C): model-backed jobs no worker has started are withdrawn, so nothing more is spent; a resume enqueues them again.
      if (queue && !lost) {
        const unstarted = [...jobs.values()].filter((j) => !j.done && isModelBacked(s.agents.find((a) => a.name === j.data.agent)!));
        await bounded(Promise.all(unstarted.map((j) => queue!.remove(j.id).catch(() => 0))), REDIS_WAIT_MS, 'withdrawing jobs').catch(() => undefined);
      }
      // The run's permit queue (its queue-wide rate) goes with it; workers close theirs as their jobs of the run end.
      if (queue && !lost && s.spec.queueRateLimit && s.agents.some(isModelBacked)) await bounded(removePermitQueue(o.url, o.run), 3000, 'removing the permit queue').catch(() => undefined);
      const closing = Promise.all([queue?.close(), events?.close()]).catch(() => undefined);
      // A lost server must not hold the process: give a clean close a moment, then cut the sockets.
      await Promise.race([closing, new Promise((r) => setTimeout(r, lost ? 200 : 3000).unref())]);
      connection?.disconnect();
      link?.close();
      (events as unknown as { disconnect?: () => Promise<void> } | null)?.disconnect?.().catch(() => undefined);
    },
  };
}

/** A model-backed rollout's response-cache file in the run, sent with its job: a resumed rollout re-reads what it bought. */
function cacheOf(runtime: LlmRuntime, p: PlannedRollout): { file: string; text: string } | null {
  const dir = runtime.cache.dir;
  if (!dir) return null;
  const file = rolloutFile(dir, p.seeds.agent);
  return existsSync(file) ? { file: basename(file), text: readFileSync(file, 'utf8') } : null;
}
