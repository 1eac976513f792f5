/**
 * What travels through the queue: jobs (a run's contiguous slice of one
 * agent × horizon group), their ids, and the results workers return. A
 * result is checked before anything of it is committed.
 */
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import type { RolloutSeeds } from '../core/index.js';
import { rolloutId } from '../log/index.js';
import { rolloutSeeds, type PlannedRollout, type ResolvedScenario, type ScenarioFile } from '../engine/index.js';
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
}

/** One finished rollout as a worker returns it. */
export interface RolloutResult {
  readonly id: string;
  /** The rollout line (no newline). */
  readonly line: string;
  /** Its step lines, each ending in a newline. */
  readonly steps: string;
}

/** A job's return value: the rollouts, deflated (they are mostly repeated keys). */
export interface JobResult {
  readonly v: 1;
  readonly z: string;
}

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

export function encodeResult(rollouts: readonly RolloutResult[]): JobResult {
  return { v: 1, z: deflateSync(JSON.stringify(rollouts), { level: 1 }).toString('base64') };
}

const TERMINATIONS = new Set(['terminated', 'truncated', 'error']);

/**
 * Decode and check a job's return value against the job: exactly its
 * rollouts, in order, each rollout line naming its rollout, each step line
 * belonging to it, as many steps as the rollout says. Throws a one-line
 * reason; nothing of a malformed result is committed.
 */
export function decodeResult(raw: unknown, job: Pick<JobData, 'spec' | 'agent' | 'horizon' | 'first' | 'count'>): RolloutResult[] {
  const r = (typeof raw === 'string' ? safeParse(raw) : raw) as Partial<JobResult> | null;
  if (!r || r.v !== 1 || typeof r.z !== 'string') throw new Error('not a hotmess job result (expected {v: 1, z})');
  let list: unknown;
  try {
    list = JSON.parse(inflateSync(Buffer.from(r.z, 'base64')).toString('utf8'));
  } catch (e) {
    throw new Error(`result does not inflate to JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(list) || list.length !== job.count) throw new Error(`expected ${job.count} rollouts, got ${Array.isArray(list) ? list.length : typeof list}`);
  return list.map((item, k) => {
    const id = rolloutAt(job.spec, job.agent, job.horizon, job.first + k).id;
    const x = item as Partial<RolloutResult> | null;
    if (!x || x.id !== id || typeof x.line !== 'string' || typeof x.steps !== 'string') throw new Error(`rollout ${k}: expected {id: "${id}", line, steps}`);
    const rec = safeParse(x.line) as { rollout?: unknown; termination?: unknown; length?: unknown } | null;
    if (!rec || rec.rollout !== id || !TERMINATIONS.has(rec.termination as string) || !Number.isInteger(rec.length)) throw new Error(`${id}: malformed rollout line`);
    const steps = countSteps(x.steps, '{"rollout":' + JSON.stringify(id) + ',"t":');
    if (steps === null) throw new Error(`${id}: a step line that is not this rollout's`);
    if (rec.termination !== 'error' && steps !== rec.length) throw new Error(`${id}: ${steps} step lines for a rollout of length ${String(rec.length)}`);
    return x as RolloutResult;
  });
}

/** Lines in `text` (each ending in a newline and starting with `head`), or null if one does not. */
function countSteps(text: string, head: string): number | null {
  if (text.length > 0 && !text.endsWith('\n')) return null;
  let n = 0;
  for (let at = 0; at < text.length; n++) {
    if (!text.startsWith(head, at)) return null;
    at = text.indexOf('\n', at) + 1;
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
