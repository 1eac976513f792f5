import type { ResolvedAgent } from '../engine/index.js';

/** Model-backed agents see only observations (scripted ones are privileged); each of their rollouts is its own job. */
export const isModelBacked = (agent: Pick<ResolvedAgent, 'def'>): boolean => agent.def.access === 'observation';
