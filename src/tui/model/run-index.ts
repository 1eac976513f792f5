/**
 * The replay index of a run directory: every committed rollout with its
 * outcome and the byte ranges of its step lines, so replay reads one
 * group's lines by offset instead of the whole log, and where each group's
 * rollouts first diverge, so the run's summary reads no step at all. Built
 * in one streaming pass and cached in RUN/.replay-index.json; the cache is
 * used only while steps.jsonl and rollouts.jsonl keep the size and mtime it
 * records, and only when written by this index version (an older one is
 * rebuilt, never read).
 */
import { existsSync, renameSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, HotmessError } from '../../core/index.js';
import { FILES, forEachRollout, groupId, scanSteps, TerminationSchema, type LaneActions } from '../../log/index.js';
import { argmax } from '../../metrics/index.js';
import { firstDivergence } from './lanes.js';

export const INDEX_FILE = '.replay-index.json';
/** 2: adds `divergence`. A version-1 cache lacks it and is rebuilt. */
export const INDEX_VERSION = 2;

export const Stamp = z.object({ size: z.number(), mtimeMs: z.number() });
export type Stamp = z.infer<typeof Stamp>;

export const IndexedRolloutSchema = z.object({
  id: z.string(),
  agent: z.string(),
  horizon: z.number(),
  instance: z.union([z.number(), z.string()]),
  index: z.number(),
  length: z.number(),
  termination: TerminationSchema,
  /** null for rollouts ending in error (no outcome). */
  success: z.boolean().nullable(),
  return: z.number().nullable(),
  error: z.string().nullable(),
  envSeed: z.string().nullable(),
  /** Step lines found in steps.jsonl. */
  steps: z.number(),
  /** Flat [start, end, lines, …] byte ranges in steps.jsonl. */
  ranges: z.array(z.number()),
});
export type IndexedRollout = z.infer<typeof IndexedRolloutSchema>;

const RunIndexSchema = z.object({
  version: z.literal(INDEX_VERSION),
  stamps: z.object({ steps: Stamp, rollouts: Stamp }),
  stepLines: z.number(),
  /** Step lines of rollouts absent from rollouts.jsonl (uncommitted): never shown. */
  orphanLines: z.number(),
  tornLines: z.number(),
  rollouts: z.array(IndexedRolloutSchema),
  /**
   * Group key → the first step where its rollouts (not those ending in
   * error) diverge, null when they never do. A group is absent when a step
   * line of it could not be read from the bytes: replay then reads it.
   */
  divergence: z.record(z.string(), z.number().int().positive().nullable()),
});
export type RunIndex = z.infer<typeof RunIndexSchema>;

export interface OpenIndexOptions {
  /** Reuse and write RUN/.replay-index.json (default true). */
  readonly cache?: boolean;
  readonly onProgress?: (bytes: number, total: number) => void;
}

export const stampOf = (file: string): Stamp => {
  const st = statSync(file);
  return { size: st.size, mtimeMs: st.mtimeMs };
};
export const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Open the index of `dir`: from the cache when it is current, else by scanning the logs. */
export async function openIndex(dir: string, opts: OpenIndexOptions = {}): Promise<{ index: RunIndex; fromCache: boolean }> {
  const stepsFile = join(dir, FILES.steps);
  const rolloutsFile = join(dir, FILES.rollouts);
  for (const f of [rolloutsFile, stepsFile]) if (!existsSync(f)) throw new HotmessError('log', `${f}: missing; ${dir} is not a complete run directory`);
  const stamps = { steps: stampOf(stepsFile), rollouts: stampOf(rolloutsFile) };
  const cacheFile = join(dir, INDEX_FILE);
  if (opts.cache !== false) {
    const cached = readCache(cacheFile);
    if (cached && sameStamp(cached.stamps.steps, stamps.steps) && sameStamp(cached.stamps.rollouts, stamps.rollouts)) {
      checkStepCounts(cached, stepsFile);
      return { index: cached, fromCache: true };
    }
  }
  const index = await buildIndex(dir, stamps, opts.onProgress);
  checkStepCounts(index, stepsFile);
  if (opts.cache !== false) writeCache(cacheFile, index);
  return { index, fromCache: false };
}

/**
 * Every committed rollout (not `error`) has exactly `length` step lines: a
 * missing or extra step is lost data, refused in one line (exit 4) rather
 * than shown as a shorter rollout or a divergence.
 */
function checkStepCounts(index: RunIndex, stepsFile: string): void {
  for (const r of index.rollouts) {
    if (r.termination === 'error' || r.steps === r.length) continue;
    throw new HotmessError('log', `${stepsFile}: rollout ${r.id} has ${r.steps} step lines for its recorded length ${r.length}; its steps must run 1..length (a full disk or an edit?); \`run --resume\` re-runs such a rollout`);
  }
}

function readCache(file: string): RunIndex | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = RunIndexSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    // A damaged cache is rebuilt, never an error.
    return null;
  }
}

function writeCache(file: string, index: RunIndex): void {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, file);
  } catch {
    // A read-only run directory still replays; it just re-indexes next time.
  }
}

async function buildIndex(dir: string, stamps: RunIndex['stamps'], onProgress?: OpenIndexOptions['onProgress']): Promise<RunIndex> {
  const rolloutsFile = join(dir, FILES.rollouts);
  const byId = new Map<string, IndexedRollout>();
  let torn = 0;
  await forEachRollout(
    rolloutsFile,
    (r) => {
      // A rollout re-run after an error: the later line counts (as in the analysis).
      byId.delete(r.rollout);
      byId.set(r.rollout, {
        id: r.rollout,
        agent: r.agent,
        horizon: r.horizon,
        instance: r.instance,
        index: r.index,
        length: r.length,
        termination: r.termination,
        success: r.outcome ? successOf(r.outcome) : null,
        return: typeof r.return === 'number' ? r.return : null,
        error: r.termination === 'error' ? r.error : null,
        envSeed: r.seeds?.env ?? null,
        steps: 0,
        ranges: [],
      });
    },
    { onTorn: () => void torn++ },
  );
  const total = stamps.steps.size;
  const scan = await scanSteps(join(dir, FILES.steps), { onProgress: onProgress ? (b) => onProgress(b, total) : undefined, actions: true });
  let orphans = 0;
  for (const [id, ranges] of scan.ranges) {
    const r = byId.get(id);
    let lines = 0;
    for (let i = 2; i < ranges.length; i += 3) lines += ranges[i];
    if (!r) {
      orphans += lines;
      continue;
    }
    r.ranges = ranges;
    r.steps = lines;
  }
  const rollouts = [...byId.values()];
  return {
    version: INDEX_VERSION,
    stamps,
    stepLines: scan.lines,
    orphanLines: orphans,
    tornLines: torn + scan.tornLines,
    rollouts,
    divergence: divergenceByGroup(rollouts, scan.lanes),
  };
}

/** Each group's first divergence from the scanned lanes, as replay's lanes give it; groups with an unreadable lane are left out. */
function divergenceByGroup(rollouts: readonly IndexedRollout[], lanes: ReadonlyMap<string, LaneActions>): Record<string, number | null> {
  const EMPTY: LaneActions = { len: 0, actions: new Int32Array(0), bad: false };
  const groups = new Map<string, LaneActions[] | null>();
  for (const r of rollouts) {
    const key = groupId(r.agent, r.horizon, r.instance);
    if (!groups.has(key)) groups.set(key, []);
    // As in replay, rollouts that ended in error are shown, never compared.
    if (r.termination === 'error') continue;
    const lane = lanes.get(r.id) ?? EMPTY;
    const list = groups.get(key)!;
    if (lane.bad || list === null) groups.set(key, null);
    else list.push(lane);
  }
  const out: Record<string, number | null> = {};
  for (const [key, list] of groups) if (list !== null) out[key] = firstDivergence(list);
  return out;
}

/** The analysis's rule: the logged flag, else the answer equals the target's. */
function successOf(o: { kind: string; value: number | number[]; target: number | number[]; success?: boolean }): boolean {
  if (o.success !== undefined) return o.success;
  const v = Array.isArray(o.value) ? o.value : [o.value];
  const t = Array.isArray(o.target) ? o.target : [o.target];
  if (o.kind === 'brier' || o.kind === 'kl') return argmax(v) === argmax(t);
  return canonicalJson(v) === canonicalJson(t);
}
