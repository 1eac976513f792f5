/**
 * `hotmess report RUN [--out FILE] [--json]`: write RUN/report.md with SVG
 * and PNG plots in RUN/plots/, analysing the run first when analysis.json is
 * missing or older than the logs (saying so on stderr). vega and resvg load lazily, so other commands never pay for them.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { HotmessError } from '../../core/index.js';

interface ReportFlags {
  out?: string;
  json?: boolean;
  steps: string;
}

const STEP_SCALES = ['auto', 'linear', 'log'] as const;

export function register(program: Command, cli: Cli): void {
  program
    .command('report')
    .description('Write RUN/report.md with plots (SVG and PNG in RUN/plots/); runs the analysis first when analysis.json is missing or out of date')
    .argument('<run>', 'run directory')
    .option('--out <file>', 'write the markdown here instead of RUN/report.md (plots stay in RUN/plots/)')
    .option('--json', 'print the written paths as JSON')
    .option('--steps <scale>', 'step axes: auto (log when the horizons span more than a factor of 32), linear or log', 'auto')
    .action(async (run: string, flags: ReportFlags) => {
      const stepScale = STEP_SCALES.find((s) => s === flags.steps);
      if (!stepScale) throw new HotmessError('usage', `--steps: expected auto, linear or log, got "${flags.steps}"`);
      const { writeReport } = await import('../../report/index.js');
      const result = await writeReport(run, {
        out: flags.out,
        stepScale,
        analysis: { onWarning: cli.warn },
        // Said on stderr, also with --json: the analysis.json the user had is replaced.
        onReanalyze: (why) => cli.err(`hotmess: ${run}/analysis.json is out of date (${why}): re-analysing the run and rewriting it\n`),
      });
      if (flags.json) {
        cli.json(result);
        return;
      }
      for (const w of result.warnings) cli.err(`hotmess: warning: ${w}\n`);
      if (!result.reanalyzed && result.analyzed) cli.out(`analysis: ${run}/analysis.json (was missing; analysed first)\n`);
      cli.out(`report: ${result.reportPath}\n`);
      cli.out(`plots: ${result.plots.length} (SVG + PNG) in ${run}/plots/${result.skipped.length ? `; not drawn: ${result.skipped.map((s) => s.id).join(', ')}` : ''}\n`);
    });
}
