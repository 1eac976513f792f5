/** The run-directory format: records, writer, readers and crash recovery. */
export * from './records.js';
export * from './lines.js';
export * from './step-index.js';
export { nestedEnd, stringEnd } from './json-bytes.js';
export * from './rollout-index.js';
export * from './step-fields.js';
export * from './writer.js';
export * from './reader.js';
export * from './recover.js';
export * from './lock.js';
