/**
 * The shape of a τ-bench historical-trajectory record (sierra-research/
 * tau-bench, `historical_trajectories/*.json`): only the fields the importer
 * reads are checked; everything else is ignored. Messages are in the OpenAI
 * chat format.
 */
import { z } from 'zod';

const ToolCallSchema = z.object({
  function: z.object({
    name: z.string().min(1),
    // OpenAI sends a JSON string; some exports already hold the parsed object.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
  }),
});

export const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullish(),
    tool_calls: z.array(ToolCallSchema).nullish(),
  }),
  z.object({ role: z.literal('tool'), content: z.string(), name: z.string().optional() }),
]);
export type TauMessage = z.infer<typeof MessageSchema>;

export const TauRecordSchema = z.object({
  task_id: z.union([z.number().int().nonnegative(), z.string().min(1)]),
  trial: z.number().int().nonnegative(),
  reward: z.number().min(0).max(1),
  traj: z.array(MessageSchema),
  // Task details and reward breakdown: carried along when readable, never required.
  info: z.unknown().optional(),
});
export type TauRecord = z.infer<typeof TauRecordSchema>;
