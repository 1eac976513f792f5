/**
 * One run of 10⁷ steps end to end, through the CLI as a user runs it:
 * kv-sum, horizon 10,000, 1,000 rollouts (10 instances × 100) of a noisy
 * agent. Each phase is its own process, timed on the wall clock, its peak
 * resident set read by /usr/bin/time:
 *
 *   bench scale steps=10000000 run_s= analyze_s= peakMB= replay_open_s= bytes_per_step=
 *
 * peakMB is the analysis's peak (the run's and replay's are printed beside
 * it as run_peakMB and replay_peakMB); replay_open_s is `replay --plain`
 * once its index exists (the first open, which builds it, is replay_first_s).
 * It takes minutes and ~3 GB of disk, so it runs only with BENCH_SCALE=1;
 * otherwise it prints `bench scale skipped (...)`. BENCH_SCALE_ROLLOUTS
 * shrinks it (100 rollouts: 10⁶ steps).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HORIZON = 10_000;
const TIME = '/usr/bin/time';

interface Phase {
  readonly seconds: number;
  readonly peakMB: number;
}

/** Run the CLI with `args`, discarding its output; wall seconds and peak RSS. */
function cli(args: string[]): Phase {
  const out = mkdtempSync(join(tmpdir(), 'hotmess-scale-time-'));
  const timeFile = join(out, 'time');
  try {
    const started = performance.now();
    const r = spawnSync(TIME, ['-f', '%M', '-o', timeFile, process.execPath, '--max-semi-space-size=64', '--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
      maxBuffer: 1 << 26,
    });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`bench scale: hotmess ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
    const kb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
    return { seconds, peakMB: kb / 1024 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  if (process.env.BENCH_SCALE !== '1') {
    process.stdout.write('bench scale skipped (set BENCH_SCALE=1: 10^7 steps take minutes and ~3 GB of disk)\n');
    return;
  }
  if (!existsSync(TIME)) {
    process.stdout.write(`bench scale skipped (${TIME} not found: it measures each phase's peak memory)\n`);
    return;
  }
  const rolloutsPerInstance = Math.max(1, Math.round(Number(process.env.BENCH_SCALE_ROLLOUTS ?? 1000) / 10));
  const root = mkdtempSync(join(tmpdir(), 'hotmess-scale-'));
  try {
    const scenario = join(root, 'scale.yaml');
    writeFileSync(
      scenario,
      [
        'name: scale',
        'environment: kv-sum',
        'params: { dictSize: 100, keysPerStep: 2 }',
        `horizons: [${HORIZON}]`,
        'instances: 10',
        `rollouts: ${rolloutsPerInstance}`,
        'seed: 1',
        'agents:',
        '  - { name: noisy, kind: noisy, params: { epsilon: 0.001 } }',
        '',
      ].join('\n'),
    );
    const run = join(root, 'run');
    const ran = cli(['run', scenario, '--out', run]);
    const steps = countSteps(run);
    const bytes = statSync(join(run, 'steps.jsonl')).size;
    const analyzed = cli(['analyze', run]);
    const first = cli(['replay', run, '--plain']);
    const open = cli(['replay', run, '--plain']);
    process.stdout.write(
      `bench scale steps=${steps} run_s=${ran.seconds.toFixed(1)} analyze_s=${analyzed.seconds.toFixed(1)} peakMB=${analyzed.peakMB.toFixed(0)} ` +
        `replay_open_s=${open.seconds.toFixed(2)} bytes_per_step=${(bytes / steps).toFixed(0)} ` +
        `run_peakMB=${ran.peakMB.toFixed(0)} replay_first_s=${first.seconds.toFixed(1)} replay_peakMB=${Math.max(first.peakMB, open.peakMB).toFixed(0)}\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Steps in the run: the sum of its rollouts' lengths. */
function countSteps(run: string): number {
  let n = 0;
  for (const line of readFileSync(join(run, 'rollouts.jsonl'), 'utf8').split('\n')) if (line) n += (JSON.parse(line) as { length: number }).length;
  return n;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
