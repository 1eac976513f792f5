#!/usr/bin/env node
/**
 * The CLI entry point: parse, dispatch, and map errors to one line and an
 * exit code. `main` runs one invocation against any io (tests run it
 * in-process); run as a script, it drives the real process.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT_CODES, setCommandPrefix } from '../core/index.js';
import { COMMANDS } from './commands/index.js';
import { Cli, processIO, type CliIO } from './io.js';
import { cliInvocation, reportError } from './output.js';
import { PACKAGE_VERSION } from './version.js';

export { processIO, type CliIO } from './io.js';

/** Run one invocation: `argv` are the user's arguments (no node, no script). Resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO, cli: Cli = new Cli(io)): Promise<number> {
  const program = new Command();
  program
    .name('hotmess')
    .description('Agentic trajectory simulator: how far repeated rollouts drift apart, and whether error is bias or variance.')
    .version(PACKAGE_VERSION)
    .configureOutput({
      writeOut: (str) => io.stdout.write(str),
      writeErr: (str) => io.stderr.write(str),
      // Usage errors are one line too, like every other error.
      outputError: (str, write) => write(`hotmess: ${str.trim().replace(/^error: /, '')} (see --help)\n`),
    })
    .exitOverride();
  for (const register of COMMANDS) register(program, cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return reportError(e, io.stderr);
  }
}

/** Drive the real process: its argv, streams and exit code. */
export async function runAsProcess(): Promise<void> {
  // Output piped into `head` and closed early is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const io = processIO();
  const cli = new Cli(io);
  let settled = false;
  // Node ends a process whose event loop emptied while this await was pending with exit 13 and no word.
  // That is a bug (nothing left to wake the work), but the user gets one line, an exit code and the way back.
  process.on('exit', () => {
    if (settled || process.exitCode !== UNSETTLED_TOP_LEVEL_AWAIT) return;
    process.exitCode = EXIT_CODES.internal;
    io.stderr.write(`${unsettledLine(cli.writing)}\n`);
  });
  // Hints name the CLI the way this process was invoked, so they can be pasted.
  setCommandPrefix(cliInvocation());
  process.exitCode = await main(process.argv.slice(2), io, cli);
  settled = true;
}

/** Node's exit code when the event loop empties while a top-level await is pending. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;

/** The line for an invocation that stopped with work pending; the resume hint when its run directory exists. */
export function unsettledLine(writing: Cli['writing']): string {
  const what = `hotmess: internal error: stopped with work still pending and nothing left to wake it (exit code ${EXIT_CODES.internal})`;
  if (writing && existsSync(join(writing.dir, 'manifest.json'))) return `${what}; finished rollouts are kept; continue with: ${writing.resume}`;
  return `${what}; no run directory was written; run the command again`;
}

// `node --import tsx src/cli/main.ts …` (npm run hotmess); bin/hotmess.js calls runAsProcess itself.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runAsProcess();
