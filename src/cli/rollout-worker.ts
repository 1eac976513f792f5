/**
 * The entry point of a `run --workers N` worker process: the engine's
 * rollout server, joined to the plugin registries.
 */
import { serveRollouts } from '../engine/index.js';
import { REGISTRY } from './registry.js';

serveRollouts(REGISTRY);
