/**
 * Support for the `local` agent (agents/local.ts): node-llama-cpp loading,
 * JSON-schema grammars, chat prompts and the per-rollout session. The
 * package itself is imported only when a local agent is created.
 */
export * from './grammar.js';
export * from './prompt.js';
export * from './runtime.js';
export * from './session.js';
