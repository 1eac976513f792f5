/**
 * `hotmess paper [--out DIR] [--quick] [--json]`: run scenarios/paper/ and
 * write one report of the paper's findings. Exits 8 (`calibration`) when a
 * finding does not hold.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { HotmessError } from '../../core/index.js';
import { createProgress } from '../output.js';
import { runPaper } from '../../workflows/index.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';

interface PaperFlags {
  out: string;
  quick?: boolean;
  json?: boolean;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('paper')
    .description(
      "Reproduce the Hot Mess paper's findings in simulation: run every scenario of scenarios/paper/ (incoherence rising with the horizon, ensembling, a scale ladder, the quadratic optimiser), report each, and write one report of the findings with their 95% intervals. Exits 8 when a finding does not hold.",
    )
    .option('--out <dir>', 'where the runs and the report go (an existing finished run is reused)', 'runs/paper')
    .option('--quick', 'reduced size: at most 12 instances × 20 rollouts per scenario')
    .option('--json', 'print the findings as JSON')
    .action(async (flags: PaperFlags) => {
      let progress: ReturnType<typeof createProgress> | null = null;
      const result = await runPaper({
        out: flags.out,
        quick: flags.quick,
        registry: REGISTRY,
        version: PACKAGE_VERSION,
        writeReport: async (dir) => (await import('../../report/index.js')).writeReport(dir),
        onScenario: (name, i, n) => {
          progress?.finish();
          progress = flags.json ? null : createProgress(cli, `${name} (${i + 1}/${n})`, 0);
        },
        onProgress: (done, total) => progress?.update(done, total),
        onWarning: cli.warn,
      });
      (progress as ReturnType<typeof createProgress> | null)?.finish();
      if (flags.json) cli.json(result);
      else {
        for (const f of result.findings) cli.out(`${f.holds ? '✓' : '✗'} ${f.claim}\n    ${f.measured}\n`);
        cli.out(`report: ${result.report}\n`);
      }
      const bad = result.findings.filter((f) => !f.holds);
      if (bad.length > 0) throw new HotmessError('calibration', `${bad.length} of ${result.findings.length} findings do not hold: ${bad.map((f) => f.scenario).join(', ')}`);
    });
}
