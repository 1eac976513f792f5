/**
 * `hotmess compare RUN_A RUN_B [--json]`: both runs analysed, then side by
 * side per agent × horizon with each difference checked against the
 * bootstrap noise floor. Neither run directory is written to.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { analyzeRun, compareAnalyses, renderComparison, NOISE_FLOOR_RULE } from '../../analysis/index.js';
import { intOption } from './analyze.js';

interface CompareFlags {
  json?: boolean;
  bootstrap: string;
  seed?: string;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('compare')
    .description(`Compare two runs per agent × horizon: differences in incoherence, bias², variance and pass^k. Rule: ${NOISE_FLOOR_RULE}.`)
    .argument('<runA>', 'first run directory (A)')
    .argument('<runB>', 'second run directory (B)')
    .option('--json', 'print the comparison as JSON')
    .option('--bootstrap <n>', 'bootstrap resamples over instances for each run', '1000')
    .option('--seed <seed>', 'bootstrap seed for both runs (default: each run seed)')
    .action(async (a: string, b: string, flags: CompareFlags) => {
      const resamples = intOption('--bootstrap', flags.bootstrap, 1);
      const quiet = { resamples, seed: flags.seed };
      const [docA, docB] = [await analyzeRun(a, quiet), await analyzeRun(b, quiet)];
      const cmp = compareAnalyses(docA, docB, { a, b }, { onWarning: cli.warn });
      if (flags.json) cli.json(cmp);
      else cli.out(renderComparison(cmp) + '\n');
    });
}
