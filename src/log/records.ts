/**
 * The run directory's file format. `manifest.json` describes the run,
 * `rollouts.jsonl` holds one line per finished rollout and `steps.jsonl` one
 * line per step. Wall-clock values live only under `timing` keys, so a
 * determinism check drops them in one step. An incompatible change bumps
 * the schema version; readers refuse versions they do not know.
 */
import { z } from 'zod';
import { OUTCOME_KINDS, type Json, type OutcomeKind } from '../core/index.js';

export const RUN_SCHEMA = 'hotmess.run/1';
export const KNOWN_RUN_SCHEMAS = [RUN_SCHEMA] as const;

export const FILES = {
  manifest: 'manifest.json',
  rollouts: 'rollouts.jsonl',
  steps: 'steps.jsonl',
  /** Rollouts that ended in `error` and were re-run on resume: kept, never silently dropped. */
  retired: 'retired.jsonl',
  analysis: 'analysis.json',
  report: 'report.md',
  /** Model-backed agents' response cache, one file per rollout. */
  cache: 'cache',
  /** Model-backed agents' cumulative paid spend, rebuilt from the ledger. */
  cost: 'cost.json',
  /** Model-backed agents' ledger: one line per paid call. */
  costLedger: 'cost.jsonl',
} as const;

/** How a rollout ended: the environment ended it, the horizon did, or something failed. */
export const TERMINATIONS = ['terminated', 'truncated', 'error'] as const;
export type Termination = (typeof TERMINATIONS)[number];
export const TerminationSchema = z.enum(TERMINATIONS);
export const OutcomeKindSchema = z.enum(OUTCOME_KINDS);

export const OutcomeSchema = z.object({
  kind: OutcomeKindSchema,
  value: z.union([z.number(), z.array(z.number())]),
  target: z.union([z.number(), z.array(z.number())]),
  success: z.boolean().optional(),
});
export type LoggedOutcome = z.infer<typeof OutcomeSchema>;

const RolloutBase = z.object({
  rollout: z.string().min(1),
  agent: z.string().min(1),
  horizon: z.number().int().nonnegative(),
  instance: z.union([z.number().int().nonnegative(), z.string().min(1)]),
  index: z.number().int().nonnegative(),
  seeds: z.object({ env: z.string(), agent: z.string() }).partial().optional(),
  length: z.number().int().nonnegative(),
  return: z.number().optional(),
  info: z.record(z.string(), z.unknown()).optional(),
  timing: z.record(z.string(), z.unknown()).optional(),
});

/** One finished rollout: a union on `termination`. */
export const RolloutRecordSchema = z.discriminatedUnion('termination', [
  RolloutBase.extend({ termination: z.literal('terminated'), outcome: OutcomeSchema }),
  RolloutBase.extend({ termination: z.literal('truncated'), outcome: OutcomeSchema }),
  RolloutBase.extend({ termination: z.literal('error'), error: z.string(), outcome: OutcomeSchema.nullable().optional() }),
]);
export type RolloutRecord = z.infer<typeof RolloutRecordSchema>;

/**
 * The order of a step line's fields as the writers emit them. Readers lean
 * on it: the id first (replay's index and a fork's prefix skip other
 * rollouts' lines unparsed), then t, action and oracle (replay's lanes cut
 * them out without parsing the line). At most one of illegal and invalid.
 */
export const STEP_FIELD_ORDER = ['rollout', 't', 'action', 'oracle', 'obs', 'state', 'reward', 'patches', 'measure', 'target', 'features', 'illegal', 'invalid', 'replayed', 'text', 'info', 'timing'] as const;

const json = z.custom<Json>((v) => v !== undefined);
const numbers = z.union([z.number(), z.array(z.number())]);

/**
 * One step. `action` is what the agent chose; `oracle` the correct action at
 * the agent's own state before the step. `illegal`/`invalid` carry the reason
 * the action was refused (the state is then unchanged).
 */
export const StepRecordSchema = z.object({
  rollout: z.string().min(1),
  t: z.number().int().positive(),
  action: json,
  oracle: json.optional(),
  /** Hash of the observation text the agent saw. */
  obs: z.string().optional(),
  /** Hash of the state after the step. */
  state: z.string().optional(),
  reward: z.number().optional(),
  patches: json.optional(),
  measure: numbers.optional(),
  target: numbers.optional(),
  features: z.array(z.number()).optional(),
  illegal: z.string().optional(),
  invalid: z.string().optional(),
  /** A fork's replayed prefix: the step was taken from the source log, not the agent. */
  replayed: z.literal(true).optional(),
  /** Free text kept out of the action key (e.g. an imported assistant message). */
  text: z.string().optional(),
  info: z.record(z.string(), json).optional(),
  timing: z.record(z.string(), json).optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

/** What a fork run's manifest records about its source (engine/fork.ts writes it). */
export const ForkInfoSchema = z.object({
  sourceRun: z.string(),
  sourceRollout: z.string(),
  step: z.number().int().nonnegative(),
  samples: z.number().int().positive(),
  /** How the continuations' agent seeds were derived. */
  seeds: z.string(),
  /** --inject-rate: the rate, how its draws were seeded, and how many prefix actions were injected per continuation. */
  inject: z.object({ rate: z.number().min(0).max(1), seeds: z.string(), injected: z.array(z.number().int().nonnegative()) }).optional(),
});
export type ForkInfo = z.infer<typeof ForkInfoSchema>;

export const ManifestSchema = z.object({
  schema: z.string(),
  status: z.enum(['running', 'finished', 'interrupted', 'failed']),
  name: z.string(),
  version: z.string().optional(),
  source: z.string().optional(),
  scenario: z.record(z.string(), z.unknown()).optional(),
  scenarioHash: z.string().optional(),
  environment: z.object({
    name: z.string(),
    /** Absolute path of a module-path environment, so fork and replay find it from the run. */
    module: z.string().optional(),
    outcomeKind: OutcomeKindSchema.optional(),
    measureKind: OutcomeKindSchema.nullable().optional(),
    hasFeatures: z.boolean().optional(),
    /** The resolved environment params, defaults filled in. */
    params: z.unknown().optional(),
  }),
  agents: z.array(z.object({ name: z.string(), kind: z.string(), params: z.unknown().optional(), family: z.string().optional(), scale: z.number().optional() })),
  horizons: z.array(z.number()),
  instances: z.number().optional(),
  rollouts: z.number().optional(),
  seed: z.union([z.string(), z.number()]).optional(),
  seeds: z.record(z.string(), z.unknown()).optional(),
  expectedRollouts: z.number().optional(),
  fork: ForkInfoSchema.optional(),
  notes: z.array(z.string()).optional(),
  /** `run --batch`: anthropic replies came through Message Batches, priced at the batch rate (a replay prices them the same). */
  batch: z.boolean().optional(),
  /** Why a run stopped early on an error (a full disk): with status `interrupted`. */
  stoppedBecause: z.string().optional(),
  timing: z.record(z.string(), z.unknown()).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export type { OutcomeKind };

/** Rollout id: `agent:horizon:instance:index`, readable in jq and sortable. */
export const rolloutId = (agent: string, horizon: number, instance: number | string, index: number): string =>
  `${agent}:${horizon}:${instance}:${index}`;

/** Group id: `agent:horizon:instance`. */
export const groupId = (agent: string, horizon: number, instance: number | string): string => `${agent}:${horizon}:${instance}`;
