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
import drifting from './drifting.js';
import mixed from './mixed.js';
import anthropic from './anthropic.js';
import local from './local.js';
import openai from './openai.js';
import human from './human.js';

export const AGENTS = {
  oracle,
  random,
  noisy,
  biased,
  'self-conditioning': selfConditioning,
  ensemble,
  drifting,
  mixed,
  anthropic,
  local,
  openai,
  human,
} as const;

export type AgentKind = keyof typeof AGENTS;

/** The `human` kind bound to a chooser (hotmess play's keyboard). */
export { humanAgent } from './human.js';
