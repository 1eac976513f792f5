/**
 * Run directory → AnalysisDocument. Streams steps.jsonl line by line into
 * per-group accumulators and releases each group once its steps are all in,
 * so memory follows the groups in flight, not the file. The library entry
 * point behind `hotmess analyze`.
 */
import { join } from 'node:path';
import { HotmessError } from '../core/index.js';
import { FILES, readManifest, writeJsonAtomic, type Manifest } from '../log/index.js';
import { DEFAULT_KL_DELTA, DEFAULT_RESAMPLES, fitAgreement } from '../metrics/index.js';
import { ANALYSIS_SCHEMA, type AnalysisDocument, type ForkSummary, type RunInfo } from './document.js';
import { nullNonFinite } from './finite.js';
import { summarizeGroup, type GroupResult } from './group.js';
import { ensembles, lengthBuckets, medianSplit } from './groupings.js';
import { summarizeHorizon } from './horizon.js';
import { horizonTrends } from './trend.js';
import { readRollouts, type GroupInfo } from './rollouts.js';
import { groupCurves } from './step-curves.js';
import { readStepLines, type StepReadOptions } from './step-reader.js';
import { GroupSteps, INCOMPLETE_HINT } from './step-store.js';
import { scalingAnalysis, type LadderAgent } from './scaling.js';
import { asksLogprobs, groupUncertainty, readUncertainty } from './model-uncertainty.js';
import { groupId } from '../log/index.js';

export interface AnalyzeOptions {
  /** Bootstrap resamples (default 1000). */
  readonly resamples?: number;
  /** Length buckets (default 5). */
  readonly buckets?: number;
  /** Bootstrap seed; default: the run's seed. */
  readonly seed?: string;
  readonly klDelta?: number;
  /** Called for each warning as it arises (the CLI prints them on stderr). */
  readonly onWarning?: (message: string) => void;
  /** How steps.jsonl is read (default: reader threads for a large file); the result is the same either way. */
  readonly reading?: Pick<StepReadOptions, 'threads' | 'segmentBytes' | 'awaitThreads' | 'threadStats'>;
}

/** Below this many rollouts per instance the paper found pooled estimates unsettled. */
export const MIN_SETTLED_N = 30;

export async function analyzeRun(dir: string, options: AnalyzeOptions = {}): Promise<AnalysisDocument> {
  const manifest = readManifest(dir);
  const warnings: string[] = [];
  const warn = (msg: string) => {
    warnings.push(msg);
    options.onWarning?.(msg);
  };
  const klDelta = options.klDelta ?? DEFAULT_KL_DELTA;
  const decOpts = { klDelta };
  const measureKind = manifest.environment.measureKind ?? null;

  if (manifest.status !== 'finished') warn(`${join(dir, FILES.manifest)}: run status is "${manifest.status}"; analysing the rollouts committed so far`);
  const index = await readRollouts(dir);
  index.warnings.forEach(warn);
  const results = new Map<string, GroupResult>();
  const finish = (group: GroupInfo, gs: GroupSteps) => results.set(group.key, summarizeGroup(group, groupCurves(gs, measureKind, decOpts), decOpts, warn, manifest.environment.outcomeKind));

  const stepsFile = join(dir, FILES.steps);
  // With features, state divergence uses them; state hashes are then not read.
  const useStates = !manifest.environment.hasFeatures;
  const stores = new Map<string, GroupSteps>();
  let stepLines = 0;
  let ignored = 0;
  let late = 0;
  let torn = index.tornLines;
  let current: { id: string; group: GroupInfo; slot: number; gs: GroupSteps } | null = null;
  /** The store of rollout `id`'s group, made current; null when its lines are not stored (`why` says which count they go to). */
  const enter = (id: string): 'ignored' | 'late' | null => {
    const at = index.slots.get(id);
    if (!at) return 'ignored';
    const { group, slot } = at;
    if (results.has(group.key)) return 'late';
    let gs = stores.get(group.key);
    if (!gs) {
      gs = new GroupSteps(
        group.members.map((m) => m.length),
        stepsFile,
        useStates,
      );
      stores.set(group.key, gs);
    }
    current = { id, group, slot, gs };
    return null;
  };
  const release = (group: GroupInfo, gs: GroupSteps) => {
    finish(group, gs);
    stores.delete(group.key);
    current = null;
  };
  await readStepLines(
    stepsFile,
    (rec, line) => {
      stepLines++;
      if (typeof rec !== 'object' || rec === null || typeof rec.rollout !== 'string') {
        throw new HotmessError('log', `${stepsFile}:${line}: a step line needs a string "rollout"`);
      }
      if (!Number.isSafeInteger(rec.t) || rec.t < 1) throw new HotmessError('log', `${stepsFile}:${line}: "t" must be an integer ≥ 1, got ${JSON.stringify(rec.t)}`);
      // A rollout's lines are contiguous: the previous line's lookups usually still hold.
      if (current === null || rec.rollout !== current.id) {
        const skipped = enter(rec.rollout);
        if (skipped === 'ignored') return void ignored++;
        if (skipped === 'late') return void late++;
      }
      const { group, slot, gs } = current!;
      gs.add(slot, rec, line);
      if (gs.isComplete) release(group, gs);
    },
    (line) => {
      torn++;
      warn(`${stepsFile}:${line}: torn last line (crashed run?) skipped`);
    },
    {
      ...options.reading,
      readState: useStates,
      // A reader thread's columns: runs of one rollout's steps stored straight from them; the line-by-line callback above takes whatever they leave.
      onColumns: (c, i, end) => {
        const id = c.ids[c.rollout[i]];
        if ((current === null || id !== current.id) && enter(id) !== null) return 0;
        const { group, slot, gs } = current!;
        const took = gs.addColumns(slot, c, i, end);
        stepLines += took;
        if (gs.isComplete) release(group, gs);
        return took;
      },
    },
  );
  for (const group of index.groups.values()) {
    if (results.has(group.key)) continue;
    // Still open at the end of the file: a committed rollout lacks step lines. Refused, never analysed as shorter.
    const gs = stores.get(group.key) ?? new GroupSteps(group.members.map((m) => m.length), stepsFile, useStates);
    const slot = gs.firstShort();
    if (slot >= 0) {
      const m = group.members[slot];
      throw new HotmessError('log', `${stepsFile}: rollout ${m.id} has ${gs.rollouts[slot].len} of its ${m.length} steps; ${INCOMPLETE_HINT}`);
    }
    finish(group, gs);
  }
  stores.clear();

  const agentOrder = orderAgents(manifest, index.groups);
  const ordered = [...results.values()].sort((a, b) => compareGroups(a.info, b.info, agentOrder));
  const cells = cellsOf(ordered);

  const usedRollouts = ordered.reduce((s, g) => s + g.summary.n, 0);
  const errored = ordered.reduce((s, g) => s + g.summary.errored, 0);
  if (usedRollouts === 0) warn(`${dir}: no finished rollouts to analyse`);
  if (errored > 0) warn(`${errored} rollout(s) ended in error: excluded from the metrics`);
  if (ignored > 0) warn(`${stepsFile}: ${ignored} step line(s) of rollouts not in ${FILES.rollouts} (or ended in error) ignored`);
  if (late > 0) warn(`${stepsFile}: ${late} step line(s) arrived after their group was complete; ignored`);
  const few = cells.map((c) => ({ c, n: Math.min(...c.groups.map((g) => g.summary.n)) })).filter((x) => x.n < MIN_SETTLED_N);
  if (few.length > 0) {
    const listed = few.slice(0, 6).map(({ c, n }) => `${c.agent}@H=${c.horizon} N=${n}`);
    const more = few.length > 6 ? `, … ${few.length - 6} more` : '';
    warn(`N < ${MIN_SETTLED_N} rollouts per instance in ${few.length} of ${cells.length} agent × horizon cells (${listed.join(', ')}${more}): the paper found pooled estimates settle at about 30`);
  }

  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.seed ?? String(manifest.seed ?? 0);
  const groupSummaries = ordered.map((g) => g.summary);
  const modelUncertainty = asksLogprobs(manifest.agents)
    ? groupUncertainty(groupSummaries, (g) => groupId(g.agent, g.horizon, g.instance), await readUncertainty(stepsFile, index.slots), { resamples, seed })
    : [];
  const doc: AnalysisDocument = {
    schema: ANALYSIS_SCHEMA,
    run: runInfo(manifest),
    settings: { bootstrap: resamples, bootstrapSeed: seed, buckets: options.buckets ?? 5, klDelta, confidence: 0.95 },
    counts: { rollouts: usedRollouts, errored, stepLines, ignoredStepLines: ignored + late, tornLines: torn },
    warnings,
    horizons: cells.map((c) => summarizeHorizon(c.agent, c.horizon, c.groups, { resamples, seed })),
    groups: groupSummaries,
    buckets: lengthBuckets(agentOrder, ordered, options.buckets ?? 5),
    medianSplit: medianSplit(agentOrder, ordered, decOpts),
    ensembles: ensembles(cells, decOpts),
    fork: forkSummary(manifest, ordered),
    trends: horizonTrends(cells, { resamples, seed }),
    scaling: scalingAnalysis(ladderAgents(manifest), cells, { resamples, seed }),
    modelUncertainty,
  };
  const replaced = nullNonFinite(doc);
  if (replaced > 0) warn(`${replaced} non-finite value(s) replaced by null`);
  return doc;
}

/** Write RUN/analysis.json atomically; returns its path. */
export function writeAnalysis(dir: string, doc: AnalysisDocument): string {
  const path = join(dir, FILES.analysis);
  writeJsonAtomic(path, doc);
  return path;
}

/** Agents with a family and a scale, from the manifest. */
function ladderAgents(m: Manifest): LadderAgent[] {
  return m.agents.flatMap((a) => (a.family !== undefined && a.scale !== undefined && a.scale > 0 ? [{ agent: a.name, family: a.family, scale: a.scale }] : []));
}

function orderAgents(manifest: Manifest, groups: Map<string, GroupInfo>): string[] {
  const names = manifest.agents.map((a) => a.name);
  const extra = new Set<string>();
  for (const g of groups.values()) if (!names.includes(g.agent)) extra.add(g.agent);
  return [...names, ...[...extra].sort()];
}

function compareGroups(a: GroupInfo, b: GroupInfo, agents: readonly string[]): number {
  const ai = agents.indexOf(a.agent);
  const bi = agents.indexOf(b.agent);
  if (ai !== bi) return ai - bi;
  if (a.horizon !== b.horizon) return a.horizon - b.horizon;
  if (typeof a.instance === 'number' && typeof b.instance === 'number') return a.instance - b.instance;
  return String(a.instance) < String(b.instance) ? -1 : String(a.instance) > String(b.instance) ? 1 : 0;
}

/** Consecutive runs of (agent, horizon) in the ordered groups. */
function cellsOf(ordered: readonly GroupResult[]) {
  const cells: { agent: string; horizon: number; groups: GroupResult[] }[] = [];
  for (const g of ordered) {
    const last = cells[cells.length - 1];
    if (last && last.agent === g.info.agent && last.horizon === g.info.horizon) last.groups.push(g);
    else cells.push({ agent: g.info.agent, horizon: g.info.horizon, groups: [g] });
  }
  return cells;
}

function runInfo(m: Manifest): RunInfo {
  // Scenarios name the environment and give its params at the top level (engine ScenarioSchema).
  const envParams = (m.scenario as { params?: unknown } | undefined)?.params;
  return {
    name: m.name,
    status: m.status,
    seed: m.seed ?? null,
    version: m.version ?? null,
    source: m.source ?? null,
    scenarioHash: m.scenarioHash ?? null,
    environment: {
      name: m.environment.name,
      ...(envParams !== undefined ? { params: envParams } : {}),
      outcomeKind: m.environment.outcomeKind ?? null,
      measureKind: m.environment.measureKind ?? null,
      hasFeatures: m.environment.hasFeatures ?? false,
    },
    agents: m.agents.map((a) => ({ name: a.name, kind: a.kind, ...(a.params !== undefined ? { params: a.params } : {}), ...(a.family !== undefined && a.scale !== undefined ? { family: a.family, scale: a.scale } : {}) })),
    horizons: m.horizons,
    instances: m.instances ?? null,
    rollouts: m.rollouts ?? null,
  };
}

/**
 * Fork runs share a replayed prefix of K steps: divergence present at K was
 * inherited (1 − S(K)); what splits after K was created by the continuations.
 */
function forkSummary(m: Manifest, groups: readonly GroupResult[]): ForkSummary | null {
  const declared = m.fork;
  const logged = Math.max(0, ...groups.map((g) => g.curves.forkStep));
  const step = declared?.step ?? logged;
  if (!declared && logged === 0) return null;
  const at = (g: GroupResult, t: number) => (t < 1 ? (g.summary.n >= 2 ? 1 : null) : (g.summary.steps[Math.min(t, g.summary.steps.length) - 1]?.survival ?? null));
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const sK = mean(groups.map((g) => at(g, step)));
  const sT = mean(groups.map((g) => at(g, g.summary.steps.length)));
  const T = Math.max(0, ...groups.map((g) => g.summary.steps.length));
  const after: (number | null)[] = [];
  for (let t = step + 1; t <= T; t++) {
    const s = mean(groups.map((g) => at(g, t)));
    after.push(s === null || sK === null || !(sK > 0) ? null : s / sK);
  }
  const source = declared?.sourceRollout ?? null;
  return {
    sourceRollout: source,
    step,
    survivalAtFork: sK,
    survivalFinal: sT,
    inherited: sK === null ? null : 1 - sK,
    createdAfter: sK === null || sT === null ? null : sK - sT,
    qAfter: fitAgreement(after).q,
  };
}
