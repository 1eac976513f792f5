/** `hotmess worker --queue URL`: run rollouts for coordinators on any machine with the same checkout. */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { withInterrupt } from '../output.js';
import { queueWorkerModels } from '../queue-models.js';
import { REGISTRY } from '../registry.js';
import { CHECKOUT_ROOT, PACKAGE_VERSION } from '../version.js';
import { optionalIntFlag, POSITIVE } from '../flags.js';

interface WorkerFlags {
  queue?: string;
  concurrency?: string;
  lockMs?: string;
  json?: boolean;
}

const positive = (flag: string, v: string | undefined, fallback: number): number => optionalIntFlag(flag, v, POSITIVE) ?? fallback;

export function register(program: Command, cli: Cli): void {
  program
    .command('worker')
    .description('Take rollout jobs from a BullMQ queue on Redis and return their logs to the coordinator (`run --queue`). Start one per core.')
    .requiredOption('--queue <url>', 'the Redis the coordinator uses: redis://HOST:PORT[/DB]')
    .option('--concurrency <n>', 'jobs at once in this process (scripted rollouts use one core: start one worker per core instead; model-backed rollouts wait on the network: raise it for them)', '1')
    .option('--lock-ms <ms>', "how long a job's lock lasts unrenewed: a killed worker's job is re-queued after about this long", '30000')
    .option('--json', 'print the summary as JSON when the worker stops')
    .action(async (flags: WorkerFlags) => {
      // BullMQ loads only for the commands that use it.
      const { parseQueueUrl, serveQueue } = await import('../../queue/index.js');
      const url = parseQueueUrl(flags.queue!);
      const concurrency = positive('--concurrency', flags.concurrency, 1);
      const lockMs = positive('--lock-ms', flags.lockMs, 30_000);
      const summary = await withInterrupt(cli, 'results of the jobs in hand', (signal) =>
        serveQueue({ url, registry: REGISTRY, root: CHECKOUT_ROOT, version: PACKAGE_VERSION, concurrency, lockMs, signal, onLine: (l) => cli.err(`hotmess worker: ${l}\n`), models: queueWorkerModels() }),
      );
      if (flags.json) cli.json(summary);
      else cli.err(`hotmess worker: stopped after ${summary.jobs} jobs (${summary.rollouts} rollouts), ${summary.refused} refused\n`);
    });
}
