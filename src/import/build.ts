/**
 * Builders shared by the importers: step lines, rollout records and the
 * manifest, in exactly the run-directory format of src/log. Pure.
 */
import { canonicalJson, hashString, HotmessError, type Json, type OutcomeKind } from '../core/index.js';
import { RUN_SCHEMA, RolloutRecordSchema, type Manifest, type RolloutRecord, type StepRecord } from '../log/index.js';

/** What every importer returns: where the run went and what it holds. */
export interface ImportSummary {
  readonly out: string;
  readonly name: string;
  readonly environment: string;
  readonly agents: readonly string[];
  readonly horizon: number;
  readonly groups: number;
  readonly rollouts: number;
  readonly steps: number;
  /** Rollouts per termination, e.g. `{terminated: 195, truncated: 5}`. */
  readonly terminations: Readonly<Record<string, number>>;
}

/** Agent names become part of rollout ids (`agent:horizon:instance:index`), so no colons. */
export function checkAgentName(name: string, where: string, code: 'usage' | 'input' = 'usage'): string {
  if (name.length === 0 || name.includes(':') || /\s/.test(name)) {
    throw new HotmessError(code, `${where}: agent name ${JSON.stringify(name)} must be non-empty, without colons or spaces`);
  }
  return name;
}

/**
 * One steps.jsonl line. The action is written in canonical form (sorted
 * keys), as the engine does, so `actionKey` of the read-back value is stable.
 * The observation text is logged as its hash under `obs` and in full under
 * `info.observation`, so replay can show it.
 */
export function stepLine(step: Omit<StepRecord, 'obs'> & { observation?: string }): string {
  const { rollout, t, action, observation, info, ...rest } = step;
  let line = '{"rollout":' + JSON.stringify(rollout) + ',"t":' + t + ',"action":' + canonicalJson(action);
  if (observation !== undefined) line += ',"obs":' + JSON.stringify(hashString(observation));
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    // The oracle is compared with the action by key, so it is canonical too.
    line += ',' + JSON.stringify(k) + ':' + (k === 'oracle' ? canonicalJson(v) : JSON.stringify(v));
  }
  const fullInfo: { [k: string]: Json } = { ...(info ?? {}) };
  if (observation !== undefined) fullInfo.observation = observation;
  if (Object.keys(fullInfo).length > 0) line += ',"info":' + canonicalJson(fullInfo);
  return line + '}';
}

/** One rollouts.jsonl line, checked against the reader's schema (a mismatch is a bug here). */
export function rolloutLine(record: RolloutRecord): string {
  RolloutRecordSchema.parse(record);
  return JSON.stringify(record);
}

export interface ManifestInput {
  readonly name: string;
  readonly source: string;
  readonly version?: string;
  readonly environment: string;
  readonly outcomeKind?: OutcomeKind;
  readonly measureKind: OutcomeKind | null;
  readonly hasFeatures: boolean;
  readonly agents: ReadonlyArray<{ name: string; params?: Json }>;
  readonly horizon: number;
  readonly instances: number;
  /** Rollouts per group when every group has the same number, else undefined. */
  readonly perGroup?: number;
  readonly total: number;
  readonly notes: readonly string[];
}

/** A finished manifest for an imported run. No seeds: imported rollouts were not ours to seed. */
export function buildManifest(m: ManifestInput): Manifest {
  return {
    schema: RUN_SCHEMA,
    status: 'finished',
    name: m.name,
    ...(m.version !== undefined ? { version: m.version } : {}),
    source: m.source,
    environment: {
      name: m.environment,
      ...(m.outcomeKind !== undefined ? { outcomeKind: m.outcomeKind } : {}),
      measureKind: m.measureKind,
      hasFeatures: m.hasFeatures,
    },
    agents: m.agents.map((a) => ({ name: a.name, kind: 'imported', ...(a.params !== undefined ? { params: a.params } : {}) })),
    horizons: [m.horizon],
    instances: m.instances,
    ...(m.perGroup !== undefined ? { rollouts: m.perGroup } : {}),
    expectedRollouts: m.total,
    notes: [...m.notes],
  };
}

/** Count rollouts per termination for the summary. */
export function countTerminations(records: Iterable<{ termination: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.termination] = (out[r.termination] ?? 0) + 1;
  return out;
}
