/** The run-directory format: records, writer, readers and crash recovery. */
export * from './records.js';
export * from './writer.js';
export * from './reader.js';
export * from './recover.js';
