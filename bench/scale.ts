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
 * once its index exists (the first open, which builds it, is replay_first_s);
 * replay_tui_open_s is the interactive `replay` in a real terminal (tmux),
 * from start until its overview is drawn with the analysis loaded, once the
 * replay's caches exist (replay_tui_s, the older name, is the same figure);
 * replay_tui_first_s the same with no cache left (the index is built and
 * analysis.json read in full); both skipped without tmux. It takes minutes
 * and ~3 GB of disk, so it runs only with
 * BENCH_SCALE=1; otherwise it prints `bench scale skipped (...)`.
 * BENCH_SCALE_ROLLOUTS shrinks it (100 rollouts: 10⁶ steps). After the
 * wall-clock fields come each phase's CPU seconds and the load average: on
 * a shared machine the wall clock measures the neighbours too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HORIZON = 10_000;
const TIME = '/usr/bin/time';

interface Phase {
  readonly seconds: number;
  /** User + system CPU seconds: what the phase costs whatever else the machine runs. */
  readonly cpu: number;
  readonly peakMB: number;
}

/** Run the CLI with `args`, discarding its output; wall seconds and peak RSS. */
function cli(args: string[]): Phase {
  const out = mkdtempSync(join(tmpdir(), 'hotmess-scale-time-'));
  const timeFile = join(out, 'time');
  try {
    const started = performance.now();
    const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', timeFile, process.execPath, '--max-semi-space-size=64', '--import', 'tsx', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
      maxBuffer: 1 << 26,
    });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`bench scale: hotmess ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
    const [kb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { seconds, cpu: user + sys, peakMB: kb / 1024 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The interactive `replay RUN` in a 160×50 tmux session: wall seconds from
 * starting it until its overview is drawn with the analysis loaded (no
 * longer "analysing the run…"), and the CPU seconds of the process, which
 * is then quit with q; null without tmux. The session is killed by its own socket.
 */
function tuiOpen(run: string): Phase | null {
  const socket = `hotmess-bench-scale-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    tmux('-V');
  } catch {
    return null;
  }
  const out = mkdtempSync(join(tmpdir(), 'hotmess-scale-tui-'));
  const timeFile = join(out, 'time');
  const quote = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const cmd = `cd ${quote(process.cwd())} && env -u CI ${TIME} -f '%M %U %S' -o ${quote(timeFile)} ${quote(process.execPath)} --max-semi-space-size=64 --import tsx src/cli/main.ts replay ${quote(run)}; sleep 60`;
  try {
    const started = performance.now();
    tmux('new-session', '-d', '-s', 'open', '-x', '160', '-y', '50', cmd);
    let seconds: number;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-t', 'open');
      if (screen.includes('survival S(t)') && !screen.includes('analysing the run')) {
        seconds = (performance.now() - started) / 1000;
        break;
      }
      if (performance.now() - started > 120_000) throw new Error(`bench scale: the interactive replay showed no overview within 120 s:\n${screen}`);
      execFileSync('sleep', ['0.05']);
    }
    tmux('send-keys', '-t', 'open', 'q');
    for (let i = 0; i < 200 && !(existsSync(timeFile) && readFileSync(timeFile, 'utf8').trim()); i++) execFileSync('sleep', ['0.05']);
    const [kb, user, sys] = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN];
    return { seconds, cpu: user + sys, peakMB: kb / 1024 };
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // Already gone.
    }
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
    const tui = tuiOpen(run);
    // No cache left: the interactive replay builds its index and reads analysis.json in full.
    for (const cache of ['.replay-index.json', '.replay-overview.json']) rmSync(join(run, cache), { force: true });
    const tuiFirst = tuiOpen(run);
    process.stdout.write(
      `bench scale steps=${steps} run_s=${ran.seconds.toFixed(1)} analyze_s=${analyzed.seconds.toFixed(1)} peakMB=${analyzed.peakMB.toFixed(0)} ` +
        `replay_open_s=${open.seconds.toFixed(2)} bytes_per_step=${(bytes / steps).toFixed(0)} ` +
        `run_peakMB=${ran.peakMB.toFixed(0)} replay_first_s=${first.seconds.toFixed(1)} replay_peakMB=${Math.max(first.peakMB, open.peakMB).toFixed(0)} ` +
        `replay_tui_s=${tuiField(tui)} replay_tui_open_s=${tuiField(tui)} replay_tui_first_s=${tuiField(tuiFirst)} ` +
        `cpu_s: run=${ran.cpu.toFixed(1)} analyze=${analyzed.cpu.toFixed(1)} replay_first=${first.cpu.toFixed(1)} replay_open=${open.cpu.toFixed(2)} ` +
        `replay_tui_open=${tui?.cpu.toFixed(2) ?? 'skipped'} replay_tui_first=${tuiFirst?.cpu.toFixed(2) ?? 'skipped'} load=${loadavg()[0].toFixed(1)}\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const tuiField = (p: Phase | null): string => (p === null ? 'skipped(no tmux)' : p.seconds.toFixed(2));

/** Steps in the run: the sum of its rollouts' lengths. */
function countSteps(run: string): number {
  let n = 0;
  for (const line of readFileSync(join(run, 'rollouts.jsonl'), 'utf8').split('\n')) if (line) n += (JSON.parse(line) as { length: number }).length;
  return n;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
