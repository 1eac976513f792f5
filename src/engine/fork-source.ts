/**
 * What a fork starts from: the source run's scenario rebuilt from its
 * manifest, the rollout's record, and its first K logged actions, checked
 * by replaying them against the environment. Reads only; every problem is
 * a one-line HotmessError naming the run, rollout or step.
 */
import { join } from 'node:path';
import { createRng, stateAfter, HotmessError, type Action } from '../core/index.js';
import { FILES, forEachRollout, forEachStepOf, readManifest, type RolloutRecord } from '../log/index.js';
import type { Registry } from './registry.js';
import type { ResolvedAgent, ResolvedScenario } from './scenario.js';
import { resolveRunScenario } from './run-scenario.js';
import { seedsOfRecord } from './seeds.js';

export interface ForkSource {
  readonly scenario: ResolvedScenario;
  readonly record: RolloutRecord & { instance: number };
  readonly agent: ResolvedAgent;
  /** The source rollout's environment seed: the fork continues the same instance. */
  readonly envSeed: string;
  /** The logged actions of steps 1..K, in order. */
  readonly prefix: readonly Action[];
}

interface LoggedStep {
  readonly t: number;
  readonly action: Action;
  readonly state?: string;
}

async function findRollout(run: string, id: string): Promise<RolloutRecord> {
  let found: RolloutRecord | null = null;
  const ids: string[] = [];
  await forEachRollout(join(run, FILES.rollouts), (r) => {
    if (r.rollout === id) found = r;
    else if (ids.length < 6) ids.push(r.rollout);
  });
  if (found === null) throw new HotmessError('usage', `--rollout: ${run} has no rollout "${id}" (ids look like ${ids.slice(0, 3).join(', ') || 'nothing: the run has no finished rollouts'})`);
  return found;
}

/** Steps 1..k of rollout `id`, streaming steps.jsonl and parsing only that rollout's lines. */
function readPrefix(run: string, id: string, k: number): LoggedStep[] {
  const file = join(run, FILES.steps);
  const byT = new Map<number, LoggedStep>();
  if (k === 0) return [];
  forEachStepOf(file, id, (rec, line) => {
    if (typeof rec.t !== 'number' || rec.t > k) return;
    if (byT.has(rec.t)) throw new HotmessError('log', `${file}:${line}: rollout "${id}" has two lines for step ${rec.t}`);
    byT.set(rec.t, { t: rec.t, action: rec.action as Action, ...(typeof rec.state === 'string' ? { state: rec.state } : {}) });
  });
  const steps: LoggedStep[] = [];
  for (let t = 1; t <= k; t++) {
    const s = byT.get(t);
    if (!s) throw new HotmessError('log', `${file}: rollout "${id}" has no line for step ${t}; cannot replay its first ${k} steps`);
    steps.push(s);
  }
  return steps;
}

/** Replay the prefix against the environment; the logged state hashes must match. */
function verifyReplay(run: string, s: ResolvedScenario, record: RolloutRecord, envSeed: string, steps: readonly LoggedStep[]): void {
  const env = s.env;
  let state = env.reset(s.envParams, record.horizon, createRng(envSeed));
  for (const step of steps) {
    state = stateAfter(env, state, step.action);
    const hash = env.hash(state);
    if (step.state !== undefined && hash !== step.state)
      throw new HotmessError('log', `${run}: replaying "${record.rollout}" diverges from its log at step ${step.t} (state ${hash} ≠ logged ${step.state}); the environment or its params changed since the run`);
  }
}

export async function readForkSource(run: string, id: string, k: number, registry: Registry): Promise<ForkSource> {
  const manifest = readManifest(run);
  const where = join(run, FILES.manifest);
  if (!manifest.scenario) throw new HotmessError('usage', `${where}: has no scenario (imported runs cannot be forked: there is no environment to continue)`);
  const scenario = await resolveRunScenario(run, registry, manifest);
  const spec = scenario.spec;
  const record = await findRollout(run, id);
  if (!Number.isInteger(k) || k < 0) throw new HotmessError('usage', `--step: expected a non-negative integer, got ${k}`);
  if (k > record.length) throw new HotmessError('usage', `--step ${k}: rollout "${id}" has only ${record.length} steps`);
  if (typeof record.instance !== 'number') throw new HotmessError('log', `${run}: rollout "${id}" has a non-numeric instance; it was not written by hotmess run`);
  const agent = scenario.agents.find((a) => a.name === record.agent);
  if (!agent) throw new HotmessError('log', `${where}: rollout "${id}" names agent "${record.agent}", which the scenario does not define`);
  const envSeed = seedsOfRecord(spec.seed, { ...record, instance: record.instance }).env;
  const steps = readPrefix(run, id, k);
  verifyReplay(run, scenario, record, envSeed, steps);
  return { scenario, record: record as RolloutRecord & { instance: number }, agent, envSeed, prefix: steps.map((s) => s.action) };
}
