/** `hotmess queue status`: jobs per run and state, and the workers connected. */
import { Queue, type ConnectionOptions } from 'bullmq';
import { checkReachable, type QueueUrl } from './redis.js';
import { bounded, REDIS_WAIT_MS } from './bounded.js';
import { QUEUE_NAME, type JobData } from './jobs.js';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
type State = (typeof STATES)[number];

export interface RunStatus {
  readonly run: string;
  readonly name: string;
  readonly jobs: Record<State, number>;
}

export interface QueueStatus {
  readonly queue: string;
  readonly workers: number;
  readonly runs: RunStatus[];
}

export async function queueStatus(url: QueueUrl): Promise<QueueStatus> {
  await checkReachable(url);
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: url.options as ConnectionOptions });
  queue.on('error', () => undefined);
  try {
    const runs = new Map<string, RunStatus>();
    for (const state of STATES) {
      // Pages, so a big queue is not read in one reply.
      for (let start = 0; ; start += 500) {
        const page = await bounded(queue.getJobs([state], start, start + 499, true), REDIS_WAIT_MS, `${url.shown}: reading the queue`);
        for (const job of page) {
          const d = job?.data;
          if (!d) continue;
          let r = runs.get(d.run);
          if (!r) runs.set(d.run, (r = { run: d.run, name: d.name, jobs: { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 } }));
          r.jobs[state]++;
        }
        if (page.length < 500) break;
      }
    }
    const workers = (await bounded(queue.getWorkers(), REDIS_WAIT_MS, `${url.shown}: reading the queue`)).length;
    return { queue: url.shown, workers, runs: [...runs.values()].sort((a, b) => a.name.localeCompare(b.name)) };
  } finally {
    await queue.close();
  }
}

export function formatQueueStatus(s: QueueStatus): string {
  const lines = [`queue ${QUEUE_NAME} on ${s.queue}: ${s.workers} worker connection(s)`];
  if (s.runs.length === 0) lines.push('no jobs');
  else {
    lines.push('run                       id                        waiting  active  delayed  completed  failed');
    for (const r of s.runs) {
      const j = r.jobs;
      lines.push(`${r.name.padEnd(25)} ${r.run.padEnd(25)} ${String(j.waiting).padEnd(8)} ${String(j.active).padEnd(7)} ${String(j.delayed).padEnd(8)} ${String(j.completed).padEnd(10)} ${j.failed}`);
    }
  }
  return lines.join('\n') + '\n';
}
