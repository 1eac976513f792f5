/**
 * What travels through the queue: jobs (a run's contiguous slice of one
 * agent × horizon group), their ids, and the results workers return. A
 * result is checked before anything of it is committed.
 *
 * A result is bytes, not JSON: the job's step lines exactly as they go into
 * steps.jsonl, framed with counts (result blob, below). The worker stores
 * the blob under its own key in Redis and returns only a small reference
 * to it (its key, size and CRC-32): BullMQ keeps return values as JSON, and
 * copies them into its event stream, so the bulk stays out of both. The
 * coordinator checks the counts and the checksum and writes the step bytes
 * as they are; it never decodes or re-encodes them.
 *
 * The checksum is CRC-32 (zlib's, about 4 GB/s here), not SHA-256 (about
 * 1 GB/s, 0.3 µs a kv-sum step on each side): it guards against bytes
 * changed or cut in transit and a blob from another job, not against a
 * forger, and the per-rollout checks below catch a worker that sends the
 * wrong lines.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { RolloutSeeds } from '../core/index.js';
import { rolloutId } from '../log/index.js';
import { ByteSink, rolloutSeeds, type PlannedRollout, type ResolvedScenario, type ScenarioFile } from '../engine/index.js';
import type { Fingerprint } from './fingerprint.js';

/** The one BullMQ queue every hotmess coordinator and worker uses; jobs carry their run. */
export const QUEUE_NAME = 'hotmess';

/** Scripted rollouts are batched into jobs of at least this many steps (by horizon), so per-job overhead stays small. */
export const MIN_JOB_STEPS = 10_000;

export interface JobData {
  readonly v: 1;
  /** The run id (see runId) and the scenario's name, for `queue status`. */
  readonly run: string;
  readonly name: string;
  readonly spec: ScenarioFile;
  /** The scenario file relative to the checkout root, for environments named by path. */
  readonly file: string | null;
  readonly fingerprint: Fingerprint;
  readonly agent: string;
  readonly horizon: number;
  /** Linear indices (instance × rollouts + index) within the agent × horizon group. */
  readonly first: number;
  readonly count: number;
  /** A model-backed rollout's response-cache file as the run holds it (a resumed rollout re-reads what it bought). */
  readonly cache?: { readonly file: string; readonly text: string };
}

/** One finished rollout, as the coordinator reads it out of a result blob. */
export interface RolloutResult {
  readonly id: string;
  /** The rollout line (no newline). */
  readonly line: string;
  /** Its step lines, UTF-8, each ending in a newline (a view into the blob). */
  readonly steps: Buffer;
}

/** A job's return value: where its result blob is, and what it must be. */
export interface JobResult {
  readonly v: 3;
  /** The Redis key of the blob (resultKey). */
  readonly key: string;
  readonly bytes: number;
  /** CRC-32 of the blob (zlib's), as an unsigned integer. */
  readonly crc32: number;
}

/** Where a job's result blob is kept until the coordinator has committed it. */
export const resultKey = (jobId: string): string => `hotmess:result:${jobId}`;

/** A result blob outlives a coordinator that never comes back by this long; a resumed one then re-runs the job. */
export const RESULT_TTL_SECONDS = 7 * 24 * 3600;

/** Rollouts per job for an agent × horizon group: one for model-backed agents, else enough for MIN_JOB_STEPS. */
export function rolloutsPerJob(s: Pick<ResolvedScenario, 'spec'>, horizon: number, modelBacked: boolean, jobSteps = MIN_JOB_STEPS): number {
  const group = s.spec.instances * s.spec.rollouts;
  return modelBacked ? 1 : Math.min(group, Math.ceil(jobSteps / horizon));
}

/** The job a planned rollout belongs to: its first linear index and size. */
export function jobSlice(s: Pick<ResolvedScenario, 'spec'>, p: Pick<PlannedRollout, 'horizon' | 'instance' | 'index'>, perJob: number): { first: number; count: number } {
  const group = s.spec.instances * s.spec.rollouts;
  const linear = p.instance * s.spec.rollouts + p.index;
  const first = Math.floor(linear / perJob) * perJob;
  return { first, count: Math.min(perJob, group - first) };
}

/** The coordinates of linear index `i` of an agent × horizon group. */
export function rolloutAt(spec: ScenarioFile, agent: string, horizon: number, i: number): { id: string; instance: number; index: number; seeds: RolloutSeeds } {
  const instance = Math.floor(i / spec.rollouts);
  const index = i % spec.rollouts;
  return { id: rolloutId(agent, horizon, instance, index), instance, index, seeds: rolloutSeeds(spec.seed, agent, horizon, instance, index) };
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A run's id: the same for every invocation on one run directory (so `--resume` finds its jobs), different across runs. */
export const runId = (scenarioHash: string, absoluteOut: string): string => sha(`${scenarioHash}\n${absoluteOut}`).slice(0, 24);

/** BullMQ refuses custom ids with ":" (rollout ids have them): hash (run id, first rollout id). */
export const jobId = (run: string, firstRollout: string): string => `hm-${sha(`${run}\n${firstRollout}`).slice(0, 32)}`;

const MAGIC = 0x32514d48; // "HMQ2"

/**
 * Builds a result blob: [magic, rollouts] then, per rollout, [step bytes,
 * step lines, rollout-line bytes] and the bytes themselves (u32 LE). The
 * step lines are appended by the rollout itself (`sink`), so they are
 * encoded once, where they are made.
 */
export class ResultBlob {
  private readonly countAt: number;
  private count = 0;
  private open: { stepsAt: number; linesAt: number; lineAt: number; from: number } | null = null;
  /** `sink`: a buffer to fill from the start (a worker reuses one across jobs, so a job's megabytes are not allocated, and collected, afresh). */
  constructor(readonly sink = new ByteSink(1 << 20)) {
    this.sink.reset();
    this.sink.u32(MAGIC);
    this.countAt = this.sink.u32(0);
  }
  /** Start a rollout: its step lines go to `sink` until `end`. */
  begin(): void {
    const stepsAt = this.sink.u32(0);
    const linesAt = this.sink.u32(0);
    const lineAt = this.sink.u32(0);
    this.sink.lines = 0;
    this.open = { stepsAt, linesAt, lineAt, from: this.sink.length };
  }
  end(line: string): void {
    const o = this.open!;
    this.open = null;
    this.sink.setU32(o.stepsAt, this.sink.length - o.from);
    this.sink.setU32(o.linesAt, this.sink.lines);
    this.sink.setU32(o.lineAt, this.sink.text(line));
    this.sink.setU32(this.countAt, ++this.count);
  }
  /**
   * The blob and its reference (to return once the blob is stored under
   * `key`). `calls`: what model-backed rollouts did to the run's ledger and
   * cache (llm/remote.ts), for the coordinator to apply.
   */
  finish(key: string, calls: readonly unknown[] = []): { blob: Buffer; result: JobResult } {
    const at = this.sink.u32(0);
    if (calls.length > 0) this.sink.setU32(at, this.sink.text(JSON.stringify(calls)));
    const blob = this.sink.view();
    return { blob, result: { v: 3, key, bytes: blob.length, crc32: crc32(blob) } };
  }
}

/** A blob of whole rollouts (tests, benchmarks): the worker builds its blob as the rollouts run. */
export function encodeResult(rollouts: readonly { readonly line: string; readonly steps: string }[], key = 'hotmess:result:test'): { blob: Buffer; result: JobResult } {
  const b = new ResultBlob();
  for (const r of rollouts) {
    b.begin();
    for (let at = 0; at < r.steps.length; ) {
      const next = r.steps.indexOf('\n', at);
      const end = next < 0 ? r.steps.length : next + 1;
      b.sink.step(r.steps.slice(at, end));
      at = end;
    }
    b.end(r.line);
  }
  return b.finish(key);
}

const TERMINATIONS = new Set(['terminated', 'truncated', 'error']);

/** The reference a job returned, checked for shape; throws a one-line reason. */
export function readJobResult(raw: unknown): JobResult {
  const r = (typeof raw === 'string' ? safeParse(raw) : raw) as Partial<JobResult> | null;
  if (!r || r.v !== 3 || typeof r.key !== 'string' || !Number.isInteger(r.bytes) || !Number.isInteger(r.crc32)) throw new Error('not a hotmess job result (expected {v: 3, key, bytes, crc32})');
  return r as JobResult;
}

/**
 * Check a job's result blob against its reference and the job: the size
 * and checksum, then exactly the job's rollouts, in order, each rollout
 * line naming its rollout, each step line belonging to it, as many step
 * lines as the worker counted and the rollout's length says. Counts and
 * byte comparisons only: the step lines are not parsed. Throws a one-line
 * reason; nothing of a malformed result is committed.
 */
export function decodeResult(blob: Buffer | null, ref: JobResult, job: Pick<JobData, 'spec' | 'agent' | 'horizon' | 'first' | 'count'>): { rollouts: RolloutResult[]; calls: unknown[] } {
  if (blob === null) throw new Error(`result ${ref.key} is not in Redis (expired, or removed)`);
  if (blob.length !== ref.bytes) throw new Error(`result is ${blob.length} bytes, the worker sent ${ref.bytes}`);
  if (crc32(blob) !== ref.crc32) throw new Error('result checksum mismatch (CRC-32)');
  if (blob.length < 8 || blob.readUInt32LE(0) !== MAGIC) throw new Error('not a hotmess result blob');
  const count = blob.readUInt32LE(4);
  if (count !== job.count) throw new Error(`expected ${job.count} rollouts, got ${count}`);
  const out: RolloutResult[] = [];
  let at = 8;
  for (let k = 0; k < count; k++) {
    const id = rolloutAt(job.spec, job.agent, job.horizon, job.first + k).id;
    if (at + 12 > blob.length) throw new Error(`rollout ${k}: the result ends early`);
    const stepBytes = blob.readUInt32LE(at);
    const lines = blob.readUInt32LE(at + 4);
    const lineBytes = blob.readUInt32LE(at + 8);
    const stepsFrom = at + 12;
    const lineFrom = stepsFrom + stepBytes;
    at = lineFrom + lineBytes;
    if (at > blob.length) throw new Error(`rollout ${k}: the result ends early`);
    const line = blob.toString('utf8', lineFrom, at);
    const rec = safeParse(line) as { rollout?: unknown; termination?: unknown; length?: unknown } | null;
    if (!rec || typeof rec.rollout !== 'string') throw new Error(`rollout ${k} (${id}): malformed rollout line`);
    if (rec.rollout !== id) throw new Error(`rollout ${k}: expected ${id}, got ${rec.rollout}`);
    if (!TERMINATIONS.has(rec.termination as string) || !Number.isInteger(rec.length)) throw new Error(`${id}: malformed rollout line`);
    const steps = blob.subarray(stepsFrom, lineFrom);
    const found = countSteps(steps, Buffer.from('{"rollout":' + JSON.stringify(id) + ',"t":'));
    if (found === null) throw new Error(`${id}: a step line that is not this rollout's`);
    if (found !== lines) throw new Error(`${id}: ${found} step lines, the worker counted ${lines}`);
    if (rec.termination !== 'error' && found !== rec.length) throw new Error(`${id}: ${found} step lines for a rollout of length ${String(rec.length)}`);
    out.push({ id, line, steps });
  }
  if (at + 4 > blob.length) throw new Error('the result ends before its calls');
  const callBytes = blob.readUInt32LE(at);
  at += 4 + callBytes;
  if (at !== blob.length) throw new Error(at > blob.length ? 'the result ends before its calls' : `${blob.length - at} bytes after the last rollout`);
  let calls: unknown = [];
  if (callBytes > 0) calls = safeParse(blob.toString('utf8', at - callBytes, at));
  if (!Array.isArray(calls)) throw new Error('malformed model calls');
  return { rollouts: out, calls };
}

/** Lines in `bytes` (each ending in a newline and starting with `head`), or null if one does not. */
function countSteps(bytes: Buffer, head: Buffer): number | null {
  const end = bytes.length;
  if (end > 0 && bytes[end - 1] !== 10) return null;
  const h = head.length;
  let n = 0;
  for (let at = 0; at < end; n++) {
    if (at + h > end) return null;
    // Byte by byte in JS: a native compare per line costs more in its call than in its work (the head is ~30 bytes).
    for (let i = 0; i < h; i++) if (bytes[at + i] !== head[i]) return null;
    at = bytes.indexOf(10, at + h) + 1;
  }
  return n;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
