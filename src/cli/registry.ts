/**
 * The composition root: the CLI is the one place that joins the engine to
 * the plugin registries under environments/ and agents/.
 */
import { AGENTS } from '../../agents/index.js';
import { ENVIRONMENTS } from '../../environments/index.js';
import type { Registry } from '../engine/index.js';

export const REGISTRY: Registry = { environments: ENVIRONMENTS, agents: AGENTS };
