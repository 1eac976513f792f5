/**
 * `hotmess import tau-bench|jsonl FILE --out DIR`: turn another harness's
 * trajectories into a run directory. Thin: parse options, call the library.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import type { ImportSummary } from '../../import/index.js';
import { PACKAGE_VERSION } from '../version.js';
import { intParser } from '../flags.js';
import { hotmessCommand } from '../../core/index.js';


interface CommonOptions {
  out: string;
  agent?: string;
  horizon?: number;
  force?: boolean;
  json?: boolean;
}

/** Options every importer takes, as data so help and parsing share one list. */
const COMMON: ReadonlyArray<{ flags: string; help: string; parse?: (v: string) => unknown; required?: boolean }> = [
  { flags: '-o, --out <dir>', help: 'run directory to create (must be absent or empty unless --force)', required: true },
  { flags: '--agent <name>', help: 'agent name (default: from the file name)' },
  { flags: '--horizon <n>', help: "the harness's step limit (default: the longest rollout)", parse: intParser('--horizon', { min: 1 }) },
  { flags: '--force', help: 'replace a non-empty --out directory' },
  { flags: '--json', help: 'print the import summary as JSON' },
];

function withCommon(cmd: Command): Command {
  for (const o of COMMON) {
    if (o.required) cmd.requiredOption(o.flags, o.help);
    else if (o.parse) cmd.option(o.flags, o.help, o.parse);
    else cmd.option(o.flags, o.help);
  }
  return cmd;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function print(cli: Cli, summary: ImportSummary, json: boolean | undefined): void {
  if (json) return cli.json(summary);
  const ends = Object.entries(summary.terminations)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  cli.out(
    `imported ${plural(summary.rollouts, 'rollout')} in ${plural(summary.groups, 'group')} (${plural(summary.steps, 'step')}) of ${summary.agents.join(', ')} on ${summary.environment}, horizon ${summary.horizon}: ${ends}\n` +
      `wrote ${summary.out}\nnext: ${hotmessCommand(`analyze ${summary.out}`)}\n`,
  );
}

export function register(program: Command, cli: Cli): void {
  const cmd = program
    .command('import')
    .description('Import repeated-trial trajectories from another harness as a run directory');

  withCommon(
    cmd
      .command('tau-bench <file>')
      .summary('import a τ-bench historical-trajectory file')
      .description('Import a τ-bench historical-trajectory file (JSON array of {task_id, trial, reward, traj}): one group per task, one rollout per trial, one step per assistant turn'),
  )
    .option('--domain <name>', 'τ-bench domain, naming the environment tau-bench-<domain> (default: from the system prompt or file name)')
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('import tau-bench gpt-4o-airline.json --out runs/gpt-4o-airline')}\n  ${hotmessCommand('analyze runs/gpt-4o-airline')}`)
    .action(async (file: string, opts: CommonOptions & { domain?: string }) => {
      const { importTauBench } = await import('../../import/index.js');
      print(cli, await importTauBench(file, { ...opts, version: PACKAGE_VERSION }), opts.json);
    });

  withCommon(
    cmd
      .command('jsonl <file>')
      .summary('import the generic JSON Lines format (docs/import.md)')
      .description('Import the generic JSON Lines format (docs/import.md): one line per step, one per rollout outcome'),
  )
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('import jsonl trials.jsonl --out runs/trials --agent my-model')}\n  ${hotmessCommand('analyze runs/trials')}`)
    .action(async (file: string, opts: CommonOptions) => {
    const { importJsonl } = await import('../../import/index.js');
    print(cli, await importJsonl(file, { ...opts, version: PACKAGE_VERSION }), opts.json);
  });

  withCommon(
    cmd
      .command('inspect <path>')
      .summary('import Inspect AI eval logs (.eval or .json, or a directory of them)')
      .description(
        'Import Inspect AI eval logs (.eval or .json; a directory imports every log in it): one agent per task × model, one group per sample, one rollout per epoch, one step per assistant turn. A log written by `hotmess export inspect` is restored exactly.',
      ),
  )
    .option('--scorer <name>', "the score that is the outcome (default: each log's first scorer)")
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('import inspect logs/2025-01-01T12-00-00_popularity_abc.eval --out runs/popularity')}\n  ${hotmessCommand('analyze runs/popularity')}`)
    .action(async (path: string, opts: CommonOptions & { scorer?: string }) => {
      const { importInspect } = await import('../../import/index.js');
      const summary = await importInspect(path, { ...opts, version: PACKAGE_VERSION });
      for (const s of summary.skipped) cli.warn(`skipped ${s}`);
      print(cli, summary, opts.json);
    });
}
