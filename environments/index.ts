/**
 * The environment registry: one line per environment. The name type derives
 * from this object, so a scenario naming an unknown environment fails to
 * type-check in code and gets "did you mean" at run time.
 */
import type { AnyEnvironment } from '../src/core/index.js';
import kvSum from './kv-sum.js';
import maze from './maze.js';
import hanoi from './hanoi.js';
import quadratic from './quadratic.js';
import workflow from './workflow/index.js';
import inventory from './inventory.js';
import quiz from './quiz.js';

const REGISTERED = {
  'kv-sum': kvSum,
  maze,
  hanoi,
  quadratic,
  workflow,
  inventory,
  quiz,
} as const;

export type EnvironmentName = keyof typeof REGISTERED;

/** Widened so generic code can iterate the registry; import an environment module for its precise types. */
export const ENVIRONMENTS: Readonly<Record<EnvironmentName, AnyEnvironment>> = REGISTERED;
