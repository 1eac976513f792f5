/** `hotmess run SCENARIO`: every rollout of a scenario into a run directory. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { HotmessError } from '../../core/index.js';
import { loadScenario, runScenario, type RunSummary } from '../../engine/index.js';
import { createProgress, printJson } from '../output.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';
import { afterRun } from '../after-run.js';

export interface RunFlags {
  out?: string;
  concurrency?: string;
  resume?: boolean;
  analyze?: boolean;
  json?: boolean;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

function parseConcurrency(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HotmessError('usage', `--concurrency: expected a positive integer, got "${v}"`);
  return n;
}

export async function runCommand(file: string, flags: RunFlags): Promise<RunSummary> {
  const scenario = await loadScenario(file, REGISTRY);
  if (flags.resume && !flags.out) throw new HotmessError('usage', '--resume needs --out DIR: the run directory to continue');
  const out = flags.out ?? join('runs', `${scenario.spec.name}-${stamp(new Date())}`);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nhotmess: interrupting; finished rollouts are kept (Ctrl-C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = flags.json ? null : createProgress(`run ${scenario.spec.name}`, 0);
  try {
    const summary = await runScenario(scenario, {
      out,
      registry: REGISTRY,
      version: PACKAGE_VERSION,
      resume: flags.resume,
      concurrency: parseConcurrency(flags.concurrency),
      signal: controller.signal,
      onProgress: progress ? (done, total) => progress.update(done, total) : undefined,
    });
    progress?.finish();
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run every rollout of a scenario (agents × horizons × instances × rollouts) and log every step.')
    .argument('<scenario>', 'scenario YAML file')
    .option('--out <dir>', 'run directory (default: runs/<name>-<timestamp>)')
    .option('--concurrency <n>', 'rollouts in flight at once (overrides the scenario)')
    .option('--resume', 'continue an interrupted run in --out without redoing finished rollouts')
    .option('--analyze', 'analyse the run and write the report when it finishes')
    .option('--json', 'print the run summary as JSON')
    .action(async (file: string, flags: RunFlags) => {
      const summary = await runCommand(file, flags);
      if (flags.json) printJson(summary);
      else {
        const t = summary.terminations;
        process.stdout.write(
          `run written to ${summary.dir} (${summary.status}): ${summary.ran} rollouts run, ${summary.skipped} already done; ` +
            `${t.terminated} terminated, ${t.truncated} truncated, ${t.error} error\n`,
        );
        if (summary.recovered) {
          const r = summary.recovered;
          process.stdout.write(`resumed: ${r.droppedSteps} uncommitted step lines dropped, ${r.tornLines} torn lines skipped, ${r.retired} error rollouts retired to retired.jsonl and re-run\n`);
        }
      }
      if (summary.status === 'interrupted') {
        process.stderr.write(`hotmess: run stopped (${summary.stoppedBecause}); continue with: hotmess run ${file} --out ${summary.dir} --resume\n`);
        process.exitCode = 130;
        return;
      }
      if (flags.analyze) await afterRun(summary.dir, { json: flags.json === true });
    });
}
