/**
 * The generic import format (docs/import.md): JSON Lines, one flat record
 * per line, tagged by `type`. `run` (optional, first) names the run; `step`
 * is one action of one rollout; `outcome` ends a rollout.
 */
import { z } from 'zod';
import { OutcomeKindSchema, TerminationSchema } from '../log/index.js';

const Kind = OutcomeKindSchema;
const Vec = z.union([z.number(), z.array(z.number())]);
const JsonValue = z.json();

/** A group names one environment instance; rollouts of a group differ only in agent randomness. */
const Coordinates = {
  agent: z.string().min(1).optional(),
  // Rollout ids are agent:horizon:group:rollout, so a colon in a group would make them ambiguous.
  group: z.union([z.number().int().nonnegative(), z.string().min(1).regex(/^[^:]+$/, 'no colons (groups are part of rollout ids)')]),
  rollout: z.number().int().nonnegative(),
};

export const RunLineSchema = z.object({
  type: z.literal('run'),
  name: z.string().min(1).optional(),
  environment: z.string().min(1).optional(),
  horizon: z.number().int().positive().optional(),
  measureKind: Kind.optional(),
  notes: z.array(z.string()).optional(),
});

export const StepLineSchema = z.object({
  type: z.literal('step'),
  ...Coordinates,
  t: z.number().int().positive(),
  action: JsonValue,
  text: z.string().optional(),
  observation: z.string().optional(),
  state: JsonValue.optional(),
  oracle: JsonValue.optional(),
  reward: z.number().optional(),
  measure: Vec.optional(),
  target: Vec.optional(),
  features: z.array(z.number()).optional(),
  info: z.record(z.string(), JsonValue).optional(),
});

export const OutcomeLineSchema = z.object({
  type: z.literal('outcome'),
  ...Coordinates,
  outcome: z.object({ kind: Kind, value: Vec, target: Vec }).nullish(),
  success: z.boolean().optional(),
  termination: TerminationSchema.optional(),
  error: z.string().optional(),
  info: z.record(z.string(), JsonValue).optional(),
});

export const LineSchema = z.discriminatedUnion('type', [RunLineSchema, StepLineSchema, OutcomeLineSchema]);
export type ImportLine = z.infer<typeof LineSchema>;
export type StepLine = z.infer<typeof StepLineSchema>;
export type OutcomeLine = z.infer<typeof OutcomeLineSchema>;
