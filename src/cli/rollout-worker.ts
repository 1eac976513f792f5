/**
 * The entry point of a `run --workers N` worker process: the engine's
 * rollout server, joined to the plugin registries, with model-backed agents
 * drawing on the main process's LLM runtime (llm/remote.ts).
 */
import { serveRollouts } from '../engine/index.js';
import { remoteRuntime, type RemoteInit, type RuntimeNews } from '../llm/index.js';
import { REGISTRY } from './registry.js';

serveRollouts(REGISTRY, {
  services: (init, send) => {
    const remote = remoteRuntime(init as RemoteInit, send);
    return { services: remote.runtime.services(), receive: (m) => remote.receive(m as RuntimeNews) };
  },
});
