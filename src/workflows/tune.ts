/**
 * `scenario tune`: the horizon search of horizon-search.ts driven through
 * the engine. Every probe's rollouts are ordinary rollouts of a run
 * directory (one rollout per instance, seeds as `run` derives them), so the
 * search can be analysed, reported and replayed like any run; the manifest's
 * horizons grow as probes are added and `tune` records the search.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, hashString, HotmessError, type AgentServices } from '../core/index.js';
import { buildManifest, executePlan, plannedRollout, type PlannedRollout, type Registry, type ResolvedScenario } from '../engine/index.js';
import { FILES, writeJsonAtomic, type Manifest } from '../log/index.js';
import { searchHorizon, suggestHorizons, type SearchResult } from '../analysis/index.js';

export interface TuneOptions {
  readonly scenario: ResolvedScenario;
  readonly agent: string;
  readonly out: string;
  readonly registry: Registry;
  readonly version: string;
  readonly target?: number;
  readonly maxRollouts?: number;
  readonly minHorizon?: number;
  readonly maxHorizon?: number;
  readonly batch?: number;
  readonly perProbe?: number;
  readonly services?: AgentServices;
  readonly shouldStop?: () => string | null;
  readonly onProbe?: (horizon: number, n: number) => void;
}

export interface TuneResult extends SearchResult {
  readonly agent: string;
  readonly dir: string;
  /** Horizons for a sweep around H50, or null when the crossing was not bracketed. */
  readonly suggested: number[] | null;
}

export const TUNE_DEFAULTS = { target: 0.5, maxRollouts: 200, batch: 8, perProbe: 48, maxHorizon: 4096 } as const;

export async function tuneHorizon(o: TuneOptions): Promise<TuneResult> {
  const s = o.scenario;
  const agent = s.agents.find((a) => a.name === o.agent);
  if (!agent) throw new HotmessError('usage', `--agent: no agent "${o.agent}" in scenario ${s.spec.name} (agents: ${s.agents.map((a) => a.name).join(', ')})`);
  const target = o.target ?? TUNE_DEFAULTS.target;
  if (!(target > 0 && target < 1)) throw new HotmessError('usage', `--target: expected a success rate strictly between 0 and 1, got ${target}`);
  const valid = (h: number) => Number.isInteger(h) && h >= 1 && (s.env.checkHorizon?.(h, s.envParams) ?? null) === null;
  const minHorizon = o.minHorizon ?? 1;
  const maxHorizon = o.maxHorizon ?? TUNE_DEFAULTS.maxHorizon;
  if (minHorizon > maxHorizon) throw new HotmessError('usage', `--min-horizon ${minHorizon} is above --max-horizon ${maxHorizon}`);
  prepareOut(o.out);

  const agentSpec = s.spec.agents.find((a) => a.name === agent.name)!;
  const instancesAt = new Map<number, number>();
  const startedAt = new Date().toISOString();
  const writeManifest = (status: Manifest['status'], search?: SearchResult) => {
    const horizons = [...instancesAt.keys()].sort((a, b) => a - b);
    const spec = { ...s.spec, name: `${s.spec.name}-tune`, agents: [agentSpec], horizons: horizons.length > 0 ? horizons : [minHorizon], instances: Math.max(1, ...instancesAt.values()), rollouts: 1 };
    const scenario: ResolvedScenario = { ...s, spec, agents: [agent], hash: hashString(canonicalJson(spec)) };
    const tune = { agent: agent.name, target, instancesPerHorizon: Object.fromEntries([...instancesAt].sort((a, b) => a[0] - b[0])), ...(search ? { lo: search.lo?.horizon ?? null, hi: search.hi?.horizon ?? null, h50: search.h50 } : {}) };
    const extra = { source: 'hotmess scenario tune', tune } as unknown as Partial<Manifest>;
    writeJsonAtomic(join(o.out, FILES.manifest), buildManifest(scenario, o.version, status, extra, { startedAt, ...(status === 'running' ? {} : { finishedAt: new Date().toISOString() }) }));
  };
  writeManifest('running');

  let done = 0;
  const probe = async (h: number, count: number) => {
    const first = instancesAt.get(h) ?? 0;
    const plan: PlannedRollout[] = [];
    for (let instance = first; instance < first + count; instance++)
      plan.push(plannedRollout(s.spec.seed, agent, h, instance, 0));
    instancesAt.set(h, first + count);
    writeManifest('running');
    o.onProbe?.(h, count);
    await executePlan({ plan, alreadyDone: done, total: o.maxRollouts ?? TUNE_DEFAULTS.maxRollouts, env: s.env, envParams: s.envParams, dir: o.out, registry: o.registry, concurrency: Math.max(1, s.spec.concurrency), services: o.services, shouldStop: o.shouldStop });
    const ids = new Set(plan.map((p) => p.id));
    let n = 0;
    let successes = 0;
    for (const rec of committed(o.out)) {
      if (!ids.has(rec.rollout) || rec.termination === 'error') continue;
      n++;
      if (rec.outcome?.success === true) successes++;
    }
    // Rollouts not run (a budget stopped them) or ended in error count for nothing.
    done += n;
    return { successes, n };
  };
  const result = await searchHorizon({
    target,
    minHorizon,
    maxHorizon,
    valid,
    maxRollouts: o.maxRollouts ?? TUNE_DEFAULTS.maxRollouts,
    batch: o.batch ?? TUNE_DEFAULTS.batch,
    perProbe: o.perProbe ?? TUNE_DEFAULTS.perProbe,
    probe,
  });
  const stopped = result.stopped ?? o.shouldStop?.() ?? null;
  writeManifest(stopped && !(result.lo && result.hi) ? 'interrupted' : 'finished', result);
  return { ...result, stopped, agent: agent.name, dir: o.out, suggested: result.h50 === null ? null : suggestHorizons(result.h50, valid, maxHorizon) };
}

function committed(dir: string): { rollout: string; termination: string; outcome?: { success?: boolean } | null }[] {
  const file = join(dir, FILES.rollouts);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return []; // a torn last line is not a committed rollout
      }
    });
}

function prepareOut(out: string): void {
  if (existsSync(join(out, FILES.manifest))) throw new HotmessError('usage', `${out}: a run already exists here; choose another --out`);
  if (existsSync(out) && readdirSync(out).length > 0) throw new HotmessError('usage', `${out}: exists and is not empty; choose another --out`);
  mkdirSync(out, { recursive: true });
}
