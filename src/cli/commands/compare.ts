/**
 * `hotmess compare RUN_A RUN_B [--json] [--metric NAME] [--only-changed]`:
 * both runs analysed, then side by side per agent × horizon, with a summary
 * line first: how many families differ beyond noise (metrics.md H5). Neither
 * run directory is written to.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { HotmessError, hotmessCommand } from '../../core/index.js';
import { analyzeRun, compareAnalyses, renderComparison, COMPARE_METRICS, NOISE_FLOOR_RULE } from '../../analysis/index.js';
import { intFlag } from '../flags.js';

interface CompareFlags {
  json?: boolean;
  bootstrap: string;
  seed?: string;
  metric?: string;
  onlyChanged?: boolean;
}

function metricOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if ((COMPARE_METRICS as readonly string[]).includes(value) || /^passK\.[1-9]\d*$/.test(value)) return value;
  throw new HotmessError('usage', `--metric: expected one of ${COMPARE_METRICS.join(', ')} or passK.<k>, got "${value}"`);
}

export function register(program: Command, cli: Cli): void {
  program
    .command('compare')
    .description(`Compare two runs per agent × horizon: differences in incoherence, bias², variance and pass^k, with a summary line of how many differ beyond noise. Rule: ${NOISE_FLOOR_RULE}.`)
    .argument('<runA>', 'first run directory (A)')
    .argument('<runB>', 'second run directory (B)')
    .option('--json', 'print the comparison as JSON (summary: { families, differ, untested, q })')
    .option('--metric <name>', `only this metric: ${COMPARE_METRICS.join(', ')} or passK.<k>`)
    .option('--only-changed', 'list only the rows of families that differ beyond noise')
    .option('--bootstrap <n>', 'bootstrap resamples over instances for each run', '1000')
    .option('--seed <seed>', 'bootstrap seed for both runs (default: each run seed)')
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('compare runs/demo-A runs/demo-B --only-changed')}`)
    .action(async (a: string, b: string, flags: CompareFlags) => {
      const resamples = intFlag('--bootstrap', flags.bootstrap, { min: 1 });
      const metric = metricOption(flags.metric);
      const quiet = { resamples, seed: flags.seed };
      const [docA, docB] = [await analyzeRun(a, quiet), await analyzeRun(b, quiet)];
      const cmp = compareAnalyses(docA, docB, { a, b }, { metric, onWarning: cli.warn });
      if (flags.json) cli.json(flags.onlyChanged ? { ...cmp, rows: cmp.rows.filter((r) => r.differs) } : cmp);
      else cli.out(renderComparison(cmp, { onlyChanged: flags.onlyChanged }) + '\n');
    });
}
