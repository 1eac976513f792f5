/**
 * `hotmess report RUN [--out FILE] [--json]`: write RUN/report.md with SVG
 * and PNG plots in RUN/plots/, analysing the run first when analysis.json is
 * missing or older than the logs (saying so on stderr). vega and resvg load lazily, so other commands never pay for them.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';

interface ReportFlags {
  out?: string;
  json?: boolean;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('report')
    .description('Write RUN/report.md with plots (SVG and PNG in RUN/plots/); runs the analysis first when analysis.json is missing or out of date')
    .argument('<run>', 'run directory')
    .option('--out <file>', 'write the markdown here instead of RUN/report.md (plots stay in RUN/plots/)')
    .option('--json', 'print the written paths as JSON')
    .action(async (run: string, flags: ReportFlags) => {
      const { writeReport } = await import('../../report/index.js');
      const result = await writeReport(run, {
        out: flags.out,
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
