/** `hotmess queue status --queue URL`: a cluster at work, per run. */
import type { Command } from 'commander';
import type { Cli } from '../io.js';

export function register(program: Command, cli: Cli): void {
  const queue = program.command('queue').description('The BullMQ queue that `run --queue` and `hotmess worker` share.');
  queue
    .command('status')
    .description('Jobs per run (waiting, active, delayed, completed, failed) and the workers connected.')
    .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB]')
    .option('--json', 'print the status as JSON')
    .action(async (flags: { queue: string; json?: boolean }) => {
      // BullMQ loads only for the commands that use it.
      const { formatQueueStatus, parseQueueUrl, queueStatus } = await import('../../queue/index.js');
      const status = await queueStatus(parseQueueUrl(flags.queue));
      if (flags.json) cli.json(status);
      else cli.out(formatQueueStatus(status));
    });
}
