/**
 * The environment registry: one line per environment. The name type derives
 * from this object, so a scenario naming an unknown environment fails to
 * type-check in code and gets "did you mean" at run time.
 */
import kvSum from './kv-sum.js';

export const ENVIRONMENTS = {
  'kv-sum': kvSum,
} as const;

export type EnvironmentName = keyof typeof ENVIRONMENTS;
