/** Scale-out over BullMQ on Redis: the coordinator (a RolloutPlace), the worker, and the queue's status. */
export { queuePlace, type CoordinatorOptions, type CoordinatorStats, type QueuePlace } from './coordinator.js';
export { serveQueue, type QueueModelContext, type QueueWorkerOptions, type QueueWorkerSummary } from './worker.js';
export { RequestPermits, permitQueueName, type RateLimit } from './permits.js';
export { queueStatus, formatQueueStatus, type QueueStatus, type RunStatus } from './status.js';
export { parseQueueUrl, checkReachable, type QueueUrl } from './redis.js';
export { fingerprint, fingerprintMismatch, type Fingerprint } from './fingerprint.js';
export { runId, jobId, encodeResult, decodeResult, readJobResult, resultKey, ResultBlob, rolloutsPerJob, MIN_JOB_STEPS, QUEUE_NAME, type JobData, type JobResult, type RolloutResult } from './jobs.js';
export { isModelBacked } from './model.js';
export { AttemptCalls, RunCalls, runStopped, earlierCacheLines, streamIdAfter, callsKey, stopKey, budgetKey, spentKey, jobCacheKey, type StreamCall } from './calls.js';
