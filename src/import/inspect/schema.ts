/**
 * The parts of Inspect's EvalLog (format versions 1–3) the importer reads,
 * as zod schemas. Lenient on purpose: logs written by older Inspect
 * versions lack fields the current schema requires, and unknown fields are
 * kept out of the way, not refused. The TypeScript types are inferred.
 */
import { z } from 'zod';

export const KNOWN_VERSIONS = [1, 2, 3] as const;

const Usage = z.record(z.string(), z.unknown());

export const EvalSpecSchema = z.object({
  task: z.string().min(1),
  model: z.string().min(1),
  run_id: z.string().optional(),
  eval_id: z.string().optional(),
  created: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
});

export const HeaderSchema = z.object({
  version: z.number().int(),
  status: z.string().optional(),
  eval: EvalSpecSchema,
  results: z
    .object({
      // v2+: scores; v1: scorer.
      scores: z.array(z.object({ name: z.string() })).optional(),
      scorer: z.object({ name: z.string() }).optional(),
    })
    .nullable()
    .optional(),
  stats: z.object({ model_usage: Usage.optional() }).optional(),
  error: z.unknown().optional(),
});
export type Header = z.infer<typeof HeaderSchema>;

/** Message content: a string, or a list of parts ({type: "text", text}, images, reasoning, …). */
const ContentSchema = z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]);

export const ToolCallSchema = z.object({
  id: z.string().optional(),
  function: z.string(),
  arguments: z.unknown().optional(),
});

export const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: ContentSchema }),
  z.object({ role: z.literal('user'), content: ContentSchema }),
  z.object({ role: z.literal('assistant'), content: ContentSchema, tool_calls: z.array(ToolCallSchema).nullable().optional(), model: z.string().nullable().optional() }),
  z.object({ role: z.literal('tool'), content: ContentSchema, function: z.string().nullable().optional(), tool_call_id: z.string().nullable().optional(), error: z.unknown().optional() }),
]);
export type Message = z.infer<typeof MessageSchema>;

export const ScoreSchema = z.object({ value: z.unknown(), answer: z.string().nullable().optional(), explanation: z.string().nullable().optional() });

const ModelEventSchema = z.object({
  event: z.literal('model'),
  input: z.array(z.unknown()).optional(),
  input_refs: z.array(z.tuple([z.number().int(), z.number().int()])).nullable().optional(),
  output: z.unknown().optional(),
});

export const SampleSchema = z.object({
  id: z.union([z.number().int(), z.string().min(1)]),
  epoch: z.number().int().min(1),
  messages: z.array(z.unknown()).optional(),
  output: z
    .object({ choices: z.array(z.object({ message: z.unknown().optional(), stop_reason: z.string().optional() }).loose()).optional() })
    .loose()
    .nullable()
    .optional(),
  scores: z.record(z.string(), ScoreSchema).nullable().optional(),
  /** v1: one score, no scorer name. */
  score: ScoreSchema.nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  model_usage: Usage.nullable().optional(),
  error: z.object({ message: z.string() }).loose().nullable().optional(),
  limit: z.union([z.object({ type: z.string(), limit: z.number().nullable().optional() }).loose(), z.string()]).nullable().optional(),
  attachments: z.record(z.string(), z.string()).nullable().optional(),
  /** v1: events and attachments under transcript. */
  transcript: z.object({ content: z.record(z.string(), z.string()).optional() }).loose().nullable().optional(),
  events: z.array(z.object({ event: z.string() }).loose()).nullable().optional(),
  /** v3 message deduplication: model events' inputs are ranges into this pool. */
  message_pool: z.array(z.unknown()).nullable().optional(),
  events_data: z.object({ messages: z.array(z.unknown()).optional() }).loose().nullable().optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

export { ModelEventSchema };
