/**
 * `hotmess export inspect RUN --out FILE.eval|FILE.json|DIR`: write a run as
 * an Inspect AI eval log, to browse in `inspect view`. Thin: parse options,
 * call the library.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';
import { hotmessCommand } from '../../core/index.js';

export function register(program: Command, cli: Cli): void {
  const cmd = program.command('export').description("Write a run in another tool's log format");
  cmd
    .command('inspect <run>')
    .summary('write a run as an Inspect AI eval log (.eval or .json)')
    .description(
      'Write a run as one Inspect AI eval log (format version 2): one sample per agent × horizon × instance (id agent:horizon:instance), one epoch per rollout. `--out` ending in .eval or .json picks the format; a directory gets the timestamped .eval name Inspect\'s viewer lists. `hotmess import inspect` of the file restores the run exactly.',
    )
    .requiredOption('-o, --out <path>', 'a .eval or .json file, or a directory')
    .option('--json', 'print the export summary as JSON')
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('export inspect runs/demo-2026 --out logs/')}\n  inspect view --log-dir logs`)
    .action(async (run: string, opts: { out: string; json?: boolean }) => {
      const { exportInspect } = await import('../../export/index.js');
      const resolveEnvironment = (name: string) => (REGISTRY.environments as Record<string, (typeof REGISTRY.environments)[string] | undefined>)[name];
      const s = await exportInspect(run, { out: opts.out, resolveEnvironment, version: PACKAGE_VERSION });
      if (opts.json) return cli.json(s);
      cli.out(
        `exported ${s.rollouts} rollouts as ${s.samples} samples × up to ${s.epochs} epochs (${s.steps} steps, ${s.observations} with observation text)\nwrote ${s.file}\nnext: inspect view --log-dir ${s.file.replace(/\/[^/]*$/, '')}\n`,
      );
    });
}
