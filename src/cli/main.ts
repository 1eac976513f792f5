#!/usr/bin/env node
/** The CLI entry point: parse, dispatch, and map errors to one line and an exit code. */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { reportError } from './output.js';
import { PACKAGE_VERSION } from './version.js';

// Output piped into `head` and closed early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const program = new Command();
program
  .name('hotmess')
  .description('Agentic trajectory simulator: how far repeated rollouts drift apart, and whether error is bias or variance.')
  .version(PACKAGE_VERSION)
  // Usage errors are one line too, like every other error.
  .configureOutput({ outputError: (str, write) => write(`hotmess: ${str.trim().replace(/^error: /, '')} (see --help)\n`) })
  .exitOverride();
for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e);
  }
}
