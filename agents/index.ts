/**
 * The agent registry: one line per agent kind. Scenario `kind` names must be
 * keys of this object.
 */
import oracle from './oracle.js';
import random from './random.js';
import noisy from './noisy.js';
import biased from './biased.js';
import selfConditioning from './self-conditioning.js';
import ensemble from './ensemble.js';

export const AGENTS = {
  oracle,
  random,
  noisy,
  biased,
  'self-conditioning': selfConditioning,
  ensemble,
} as const;

export type AgentKind = keyof typeof AGENTS;
