/**
 * `hotmess calibrate [--quick] [--out DIR] [--json]`: run scripted agents
 * with planted behaviour through the engine, analyse them, and print
 * planted against recovered values with a within-tolerance mark. Exits
 * non-zero (code `calibration`) when any check is out of tolerance.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { HotmessError } from '../../core/index.js';
import { fmt, renderColumns } from '../../analysis/index.js';
import { runCalibration, type CalibrationResult } from '../../workflows/index.js';
import { createProgress } from '../output.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';

interface CalibrateFlags {
  quick?: boolean;
  out?: string;
  json?: boolean;
}

export function renderCalibration(r: CalibrationResult): string {
  const s = r.settings;
  const l = r.ladder;
  const head = `calibration on maze (m = 4): H = ${s.horizon}, ${s.instances} instances × ${s.rollouts} rollouts, seed ${s.seed}; scale ladder on ${l.environment}: H = ${l.horizon}, ${l.instances} × ${l.rollouts}; tolerance = ${s.z} standard errors`;
  const rows = r.checks.map((c) => [
    c.agent,
    c.check,
    typeof c.planted === 'number' ? fmt(c.planted) : c.planted,
    fmt(c.recovered),
    c.tolerance === null ? '' : typeof c.planted === 'number' ? `±${fmt(c.tolerance, 2)}` : `margin ${fmt(c.tolerance, 2)}`,
    c.ok ? '✓' : '✗ OUT',
  ]);
  const table = renderColumns(['agent', 'check', 'planted', 'recovered', 'tolerance', 'within'], rows, ['l', 'l', 'r', 'r', 'r', 'l']);
  return [head, table, ...r.notes.map((n) => `note: ${n}`), ...(r.dir ? [`run: ${r.dir}`] : [])].join('\n');
}

export function register(program: Command, cli: Cli): void {
  program
    .command('calibrate')
    .description('Prove the instrument: run planted scripted agents (oracle, noisy, biased, self-conditioning, ensemble, drifting, mixed) on maze and a planted scale ladder on quiz, and check the metrics recover the planted values within binomial / bootstrap tolerances. Exits non-zero when any is out of tolerance.')
    .option('--quick', 'fewer instances, rollouts and steps (seconds)')
    .option('--out <dir>', 'keep the calibration run in this directory')
    .option('--json', 'print the checks as JSON')
    .action(async (flags: CalibrateFlags) => {
      const progress = flags.json ? null : createProgress(cli, 'calibrate', 0);
      const result = await runCalibration({
        registry: REGISTRY,
        version: PACKAGE_VERSION,
        quick: flags.quick,
        out: flags.out,
        onProgress: progress ? (done, total) => progress.update(done, total) : undefined,
      });
      progress?.finish();
      if (flags.json) cli.json(result);
      else cli.out(renderCalibration(result) + '\n');
      const bad = result.checks.filter((c) => !c.ok);
      if (bad.length > 0) throw new HotmessError('calibration', `${bad.length} of ${result.checks.length} calibration checks out of tolerance: ${bad.map((c) => `${c.agent} ${c.check}`).join('; ')}`);
    });
}
