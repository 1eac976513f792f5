/**
 * `hotmess analyze RUN [--json] [--bootstrap N] [--buckets B] [--seed S]`:
 * stream a run directory into the analysis document, write RUN/analysis.json,
 * and print the table (or the document with --json). Warnings go to stderr.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { analyzeRun, renderAnalysisTable, writeAnalysis } from '../../analysis/index.js';
import { intFlag } from '../flags.js';
import { saveAnalysis } from '../after-run.js';

interface AnalyzeFlags {
  json?: boolean;
  wide?: boolean;
  bootstrap: string;
  buckets: string;
  seed?: string;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('analyze')
    .description(
      'Analyse a run: divergence against step (survival, hazard, agreement, state divergence), bias², variance and incoherence per horizon and per step, pass^k, p̂ and H50, with 95% cluster-bootstrap intervals. Writes RUN/analysis.json.',
    )
    .argument('<run>', 'run directory')
    .option('--json', 'print the analysis document (the same as RUN/analysis.json) instead of the table')
    .option('--wide', 'every column of the table (default: the headline columns, fitted to the terminal or $COLUMNS)')
    .option('--bootstrap <n>', 'bootstrap resamples over instances (0 = no intervals)', '1000')
    .option('--buckets <b>', 'number of equal-count length buckets', '5')
    .option('--seed <seed>', 'bootstrap seed (default: the run seed)')
    .action(async (run: string, flags: AnalyzeFlags) => {
      const resamples = intFlag('--bootstrap', flags.bootstrap, { min: 0 });
      const buckets = intFlag('--buckets', flags.buckets, { min: 1 });
      const doc = await analyzeRun(run, {
        resamples,
        buckets,
        seed: flags.seed,
        onWarning: cli.warn,
      });
      const path = saveAnalysis(cli, run, doc, writeAnalysis);
      if (flags.json) cli.json(doc);
      else cli.out(`${renderAnalysisTable(doc, { width: cli.width, wide: flags.wide })}\n${path ? `analysis: ${path}` : 'analysis: not saved (see the warning)'}\n`);
    });
}
