/**
 * How `hotmess export inspect` makes an Inspect log lossless for hotmess:
 * the eval's metadata carries the run's manifest, and each sample's
 * metadata the rollout record and step records it was made from. Import
 * recognises such a log by the schema tag and writes those records back
 * as they were, so the analysis of the import equals the original's.
 */
import { z } from 'zod';
import { ManifestSchema, RolloutRecordSchema } from '../../log/index.js';

export const LOSSLESS_KEY = 'hotmess';
export const LOSSLESS_SCHEMA = 'hotmess.inspect/1';

export const EvalMetaSchema = z.object({
  schema: z.literal(LOSSLESS_SCHEMA),
  manifest: ManifestSchema,
});
export type EvalMeta = z.infer<typeof EvalMetaSchema>;

export const SampleMetaSchema = z.object({
  rollout: RolloutRecordSchema,
  steps: z.array(z.object({ rollout: z.string(), t: z.number().int().min(1) }).loose()),
});
export type SampleMeta = z.infer<typeof SampleMetaSchema>;

/** The eval's hotmess block when this log is a hotmess export, else null. */
export function losslessEval(metadata: Record<string, unknown> | null | undefined): unknown {
  const block = metadata?.[LOSSLESS_KEY] as { schema?: unknown } | undefined;
  return block?.schema === LOSSLESS_SCHEMA ? block : null;
}
