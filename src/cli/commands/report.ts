/**
 * `hotmess report RUN [--out FILE] [--json]`: write RUN/report.md with SVG
 * and PNG plots in RUN/plots/, analysing the run first when analysis.json is
 * missing or older than the logs (saying so on stderr). vega and resvg load lazily, so other commands never pay for them.
 */
import type { Command } from 'commander';
import { printJson } from '../output.js';

interface ReportFlags {
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
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
        analysis: { onWarning: (w) => process.stderr.write(`hotmess: warning: ${w}\n`) },
        // Said on stderr, also with --json: the analysis.json the user had is replaced.
        onReanalyze: (why) => process.stderr.write(`hotmess: ${run}/analysis.json is out of date (${why}): re-analysing the run and rewriting it\n`),
      });
      if (flags.json) {
        printJson(result);
        return;
      }
      for (const w of result.warnings) process.stderr.write(`hotmess: warning: ${w}\n`);
      if (!result.reanalyzed && result.analyzed) process.stdout.write(`analysis: ${run}/analysis.json (was missing; analysed first)\n`);
      process.stdout.write(`report: ${result.reportPath}\n`);
      process.stdout.write(`plots: ${result.plots.length} (SVG + PNG) in ${run}/plots/${result.skipped.length ? `; not drawn: ${result.skipped.map((s) => s.id).join(', ')}` : ''}\n`);
    });
}
