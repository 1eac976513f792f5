/** Core types and pure helpers: the bottom layer. Imports nothing from other layers. */
export * from './errors.js';
export * from './canonical.js';
export * from './rng.js';
export * from './environment.js';
export * from './shallow-draft.js';
export * from './apply.js';
export * from './agent.js';
export * from './check.js';
export * from './scripted.js';
export * from './durable.js';
export * from './json-fast.js';
export * from './invocation.js';
export * from './int-table.js';
export * from './waiting.js';
export * from './thread.js';
export * from './idle-memo.js';
