/**
 * Scale-out: rollouts in worker processes and through a BullMQ queue.
 *
 *   bench workers env=kv-sum w1=<steps/s> w2=<steps/s> efficiency=<w2/(2·w1)>
 *   bench workers-cpu env=kv-sum w1UsPerStep=<µs> workerUsPerStep=<µs> mainUsPerStep=<µs> cpuEfficiency=<w1/(worker+main)>
 *   bench queue env=kv-sum local2=<steps/s> redis2=<steps/s> ratio=<redis2/local2>
 *   bench queue-cpu env=kv-sum workerUsPerStep=<µs> coordinatorUsPerStep=<µs> redisUsPerStep=<µs> cpuRatio=<(worker+main)/(worker+coordinator+redis)>
 *   bench queue-overhead jobs=<n> coordinatorCpuMsPerJob=<ms> jobsPerSecond=<1/that> resultBytesPerStep=<b> redisMBPer1MSteps=<MB>
 *   bench queue-job jobs=<n> coordinatorCpuMsPerJob=<ms> workerCpuMsPerJob=<ms> redisCpuMsPerJob=<ms>
 *
 * The first of each pair is wall-clock steps per second with full logging
 * (the point is more cores), so load from other processes moves it: the
 * line ends with the load average seen. The -cpu lines are CPU time per
 * committed step of each process (this one from process.cpuUsage, the
 * workers and redis-server from /proc), the least over the rounds: load
 * disturbs them far less, and they say what the wall-clock figures would be
 * on idle cores shared perfectly (cpuEfficiency, cpuRatio). Worker processes
 * are started and warmed before the clock runs (their start-up, mostly tsx
 * compiling the sources, is printed as startup=). The queue case starts its
 * own redis-server (skipped without one) and two `hotmess worker` processes.
 * queue-overhead charges a job of MIN_JOB_STEPS kv-sum steps with the
 * coordinator's CPU per step; queue-job is what a job costs apart from its
 * bytes (jobs of one 10-step rollout): the CPU of each process per job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY } from '../src/cli/registry.js';
import { CHECKOUT_ROOT, PACKAGE_VERSION } from '../src/cli/version.js';
import { parseScenario, resolveScenario, runScenario, workerPool, type ResolvedScenario, type RolloutPlace } from '../src/engine/index.js';
import { readJsonl } from '../src/log/index.js';
import { encodeResult, fingerprint, MIN_JOB_STEPS, parseQueueUrl, queuePlace, runId } from '../src/queue/index.js';
import { REDIS_SERVER, startRedis } from '../test/helpers/redis.js';

const ENTRY = new URL('../src/cli/rollout-worker.ts', import.meta.url);

async function scenario(rollouts: number, horizon = 1000): Promise<ResolvedScenario> {
  const spec = parseScenario({ name: 'bench-scale', environment: 'kv-sum', horizons: [horizon], instances: 1, rollouts, seed: 1, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.05 } }] });
  return resolveScenario(spec, REGISTRY, null);
}

async function stepsIn(dir: string): Promise<number> {
  let steps = 0;
  await readJsonl(join(dir, 'rollouts.jsonl'), (r) => (steps += (r as { length: number }).length));
  return steps;
}

/** CPU time of another process so far, in µs (Linux /proc; null elsewhere). */
function cpuOf(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

/** One run: steps per wall-clock second, and CPU µs per step of this process and of the other processes named. */
interface Measured {
  readonly rate: number;
  readonly mainUs: number;
  readonly othersUs: readonly (number | null)[];
}

/** One run into a fresh directory, measured. */
async function measure(s: ResolvedScenario, root: string, place?: RolloutPlace, others: readonly number[] = []): Promise<Measured> {
  const dir = mkdtempSync(join(root, 'run-'));
  const before = others.map(cpuOf);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await runScenario(s, { out: join(dir, 'r'), registry: REGISTRY, version: 'bench', place });
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const after = others.map(cpuOf);
  const steps = await stepsIn(join(dir, 'r'));
  rmSync(dir, { recursive: true, force: true });
  return {
    rate: steps / seconds,
    mainUs: (used.user + used.system) / steps,
    othersUs: others.map((_, i) => (before[i] === null || after[i] === null ? null : (after[i]! - before[i]!) / steps)),
  };
}

const rate = async (s: ResolvedScenario, root: string, place?: RolloutPlace): Promise<number> => (await measure(s, root, place)).rate;
const sum = (xs: readonly (number | null)[]): number | null => (xs.some((x) => x === null) ? null : xs.reduce((a: number, x) => a + x!, 0));
const us = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));
/** The least of each field over rounds: CPU per step only rises with load, never falls. */
const least = (ms: readonly Measured[], pick: (m: Measured) => number | null): number | null => {
  const xs = ms.map(pick).filter((x): x is number => x !== null);
  return xs.length === 0 ? null : Math.min(...xs);
};

/** A place kept open across runs (the loop closes the place it is given). */
function kept(place: RolloutPlace): RolloutPlace {
  return { slots: place.slots, run: (p, sink, signal) => place.run(p, sink, signal), flush: () => place.flush?.() };
}

const load = (): string => loadavg()[0].toFixed(1);
const ROUNDS = 3;

async function workersCase(root: string): Promise<{ rate: number; usPerStep: number | null }> {
  const s = await scenario(400);
  const t0 = performance.now();
  const pool = workerPool({ entry: ENTRY, workers: 2, scenario: { spec: s.spec, file: null } });
  await rate(await scenario(20), root, kept(pool));
  const startup = (performance.now() - t0) / 1000;
  await rate(await scenario(40), root);
  const ones: Measured[] = [];
  const twos: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ones.push(await measure(s, root));
    twos.push(await measure(s, root, kept(pool), pool.pids()));
  }
  await pool.close?.();
  const w1 = Math.max(...ones.map((m) => m.rate));
  const w2 = Math.max(...twos.map((m) => m.rate));
  process.stdout.write(`bench workers env=kv-sum w1=${w1.toFixed(0)} w2=${w2.toFixed(0)} efficiency=${(w2 / (2 * w1)).toFixed(2)} startup=${startup.toFixed(1)}s load=${load()}\n`);
  // CPU per step, which load disturbs far less than wall-clock rates. cpuEfficiency: what efficiency would be on two idle cores shared perfectly.
  const one = least(ones, (m) => m.mainUs)!;
  const main = least(twos, (m) => m.mainUs)!;
  const worker = least(twos, (m) => sum(m.othersUs));
  process.stdout.write(`bench workers-cpu env=kv-sum w1UsPerStep=${us(one)} workerUsPerStep=${us(worker)} mainUsPerStep=${us(main)} cpuEfficiency=${worker === null ? 'n/a' : (one / (worker + main)).toFixed(2)} load=${load()}\n`);
  return { rate: w2, usPerStep: worker === null ? null : worker + main };
}

function startWorker(url: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--queue', url], { cwd: CHECKOUT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d) => {
      err += d.toString();
      if (err.includes('worker ready')) resolve(proc);
    });
    proc.once('exit', () => reject(new Error(`hotmess worker exited: ${err}`)));
  });
}

async function queueCase(root: string, local: { rate: number; usPerStep: number | null }): Promise<void> {
  const local2 = local.rate;
  if (!REDIS_SERVER) {
    process.stdout.write('bench queue skipped (redis-server not installed)\n');
    return;
  }
  const redis = await startRedis();
  const workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
  try {
    const url = parseQueueUrl(redis.url);
    let n = 0;
    const place = (s: ResolvedScenario, jobSteps?: number) => queuePlace({ url, scenario: s, run: runId(s.hash, join(root, `q${n++}`)), file: null, fingerprint: fingerprint(CHECKOUT_ROOT, s, PACKAGE_VERSION), jobSteps });
    const warm = await scenario(40);
    await rate(warm, root, place(warm));
    const s = await scenario(400);
    const jobs = 400 / Math.ceil(MIN_JOB_STEPS / 1000);
    const rounds: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push(await measure(s, root, place(s), [...workers.map((w) => w.pid!), redis.pid]));
    const redis2 = Math.max(...rounds.map((m) => m.rate));
    const coordinator = least(rounds, (m) => m.mainUs)!;
    const cpuMsPerJob = (coordinator * MIN_JOB_STEPS) / 1000;
    process.stdout.write(`bench queue env=kv-sum local2=${local2.toFixed(0)} redis2=${redis2.toFixed(0)} ratio=${(redis2 / local2).toFixed(2)} load=${load()}\n`);
    const worker = least(rounds, (m) => sum(m.othersUs.slice(0, 2)));
    const server = least(rounds, (m) => m.othersUs[2]);
    const total = worker === null || server === null ? null : worker + coordinator + server;
    process.stdout.write(
      `bench queue-cpu env=kv-sum workerUsPerStep=${us(worker)} coordinatorUsPerStep=${us(coordinator)} redisUsPerStep=${us(server)} cpuRatio=${total === null || local.usPerStep === null ? 'n/a' : (local.usPerStep / total).toFixed(2)} load=${load()}\n`,
    );
    // What one job of 10k steps weighs in Redis: its result blob (held once, under its own key) and the small reference it returns.
    const sample = await sampleResult(s);
    const bytesPerStep = sample.bytes / sample.steps;
    process.stdout.write(
      `bench queue-overhead jobs=${jobs} coordinatorCpuMsPerJob=${cpuMsPerJob.toFixed(1)} jobsPerSecond=${(1000 / cpuMsPerJob).toFixed(0)} resultBytesPerStep=${bytesPerStep.toFixed(1)} redisMBPer1MSteps=${((bytesPerStep * 1e6) / 1e6).toFixed(0)}\n`,
    );
    // What a job costs apart from its bytes: jobs of one 10-step rollout, so BullMQ's commands, events and round trips are nearly all there is.
    const tiny = await scenario(600, 10);
    await measure(tiny, root, place(tiny, 10), []);
    const fixed = await measure(tiny, root, place(tiny, 10), [...workers.map((w) => w.pid!), redis.pid]);
    const perJob = (us: number | null) => (us === null ? 'n/a' : ((us * 10) / 1000).toFixed(2));
    process.stdout.write(
      `bench queue-job jobs=600 coordinatorCpuMsPerJob=${perJob(fixed.mainUs)} workerCpuMsPerJob=${perJob(sum(fixed.othersUs.slice(0, 2)))} redisCpuMsPerJob=${perJob(fixed.othersUs[2])} load=${load()}\n`,
    );
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await redis.stop();
  }
}

/** Encode one job's worth of rollouts (as a worker returns them) and weigh it. */
async function sampleResult(s: ResolvedScenario): Promise<{ bytes: number; steps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-sample-'));
  const small = await scenario(10);
  await runScenario(small, { out: join(dir, 'r'), registry: REGISTRY, version: 'bench' });
  const { readFileSync } = await import('node:fs');
  const steps = readFileSync(join(dir, 'r', 'steps.jsonl'), 'utf8').split('\n').filter(Boolean);
  const lines = readFileSync(join(dir, 'r', 'rollouts.jsonl'), 'utf8').split('\n').filter(Boolean);
  const results = lines.map((line) => {
    const id = (JSON.parse(line) as { rollout: string }).rollout;
    const head = `{"rollout":${JSON.stringify(id)},`;
    return { id, line, steps: steps.filter((l) => l.startsWith(head)).join('\n') + '\n' };
  });
  rmSync(dir, { recursive: true, force: true });
  void s;
  const encoded = encodeResult(results);
  return { bytes: encoded.blob.length + JSON.stringify(encoded.result).length, steps: steps.length };
}

export async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'hotmess-bench-scale-'));
  try {
    const local = await workersCase(root);
    await queueCase(root, local);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
