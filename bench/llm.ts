/**
 * Model-agent throughput: N rollouts × T steps of the `anthropic` agent
 * through the whole engine and the real SDK, against a local Messages API
 * server that answers every request after a fixed 50 ms. With C rollouts in
 * flight the ideal wall time is N·T·50 ms / C; the ratio measured/ideal is
 * the overhead of the engine, the SDK, the limiter and the response cache
 * (written to disk as in a real run). Goal: ≤ 1.2.
 *
 * The server runs in a child process, as a real API would be remote: its
 * CPU time is not charged to the engine.
 *
 * Prints: bench llm steps=<n> concurrency=<c> ratio=<measured/ideal>
 * and after each, a line with CPU-time figures that load distorts less:
 *   bench llm-cpu steps=<n> concurrency=<c> cpu_ms_per_step=<this process's CPU (all threads) / steps>
 *     first_ms=<start → the last first-step request reached the server> step_ms=<mean gap between
 *     the first arrivals of consecutive steps> spread_ms=<mean time from a step's first arrival to its last>
 *     main_ms_per_step=<the main thread's CPU / steps> queued_ms=<time the main thread sat runnable
 *     but off a core (others' load)> load=<1-min load>
 * (main_ms_per_step and queued_ms come from /proc's schedstat; Linux only, else omitted.) What
 * the ratio depends on is the main thread: JIT compilation and parts of GC run on helper threads.
 * With every rollout in flight (C ≥ N) a step's requests are one round: step_ms near 50 and a small
 * spread mean the process keeps up; spread_ms near step_ms − 50 means one core is the limit.
 * Sizes: BENCH_LLM_ROLLOUTS (64), BENCH_LLM_STEPS (16), BENCH_LLM_CONCURRENCY (default: a line for 16, then one for 64).
 * After the concurrency-64 line, the same run with its rollouts in worker processes (`run --workers 2`):
 *   bench llm-workers steps=<n> concurrency=64 workers=2 ratio=<measured/ideal> main_ms_per_step=<this process's main thread>
 *     workers_ms_per_step=<both workers' CPU, all threads> load=<1-min load>
 * (the pool is started and warmed by the same untimed warm-up; BENCH_LLM_WORKERS=0 skips it, =N uses N workers).
 * BENCH_LLM_WARM=K adds, after each pair of lines, K more runs of the same size in the same process and
 *   bench llm-warm steps=<n> concurrency=<c> runs=<K> main_ms_per_step=<the last run's> ratio=<the last run's> load=<1-min load>
 * (steady-state cost, once V8 has optimised the path; the lines above stay the cold, first timed run).
 *
 * The SDK and its HTTP client cost ~1 ms of CPU per call, and the engine and
 * agent about 1 ms more per step, so the ratio is CPU-bound once C × ~2 ms
 * approaches 50 ms on one core (C = 64 needs under 0.8 ms per step).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import anthropic from '../agents/anthropic.js';
import kvSum from '../environments/kv-sum.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../src/engine/index.js';
import { createLlmRuntime } from '../src/llm/index.js';
import { placeFor } from '../src/cli/commands/run.js';
import { REGISTRY as CLI_REGISTRY } from '../src/cli/registry.js';
import { kvSumAnswer, message, startMessagesServer } from '../test/llm/server.js';
import { remoteServer } from './remote-server.js';

const LATENCY_MS = 50;
const KEY = 'bench-key';
const KEY_ENV = 'HOTMESS_BENCH_ANTHROPIC_KEY';
const REGISTRY: Registry = { environments: { 'kv-sum': kvSum }, agents: { anthropic } };

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

export async function main(): Promise<void> {
  const rollouts = int('BENCH_LLM_ROLLOUTS', 64);
  const steps = int('BENCH_LLM_STEPS', 16);
  // 16 as before, then 64: harnesses users know keep 100 connections open by default.
  const concurrencies = process.env.BENCH_LLM_CONCURRENCY ? [int('BENCH_LLM_CONCURRENCY', 16)] : [16, 64];
  process.env[KEY_ENV] = KEY;
  const server = await remoteServer(import.meta.url);
  try {
    for (const concurrency of concurrencies) {
      // Untimed warm-up: the SDK import, JIT and the first connections are one-time costs, not per-step ones.
      await once(server.url, concurrency, 2, concurrency);
      const before = await server.count();
      const { now: t0 } = await server.ask<{ now: number }>('now');
      const { ms, cpuMs, thread, calls, errors } = await once(server.url, rollouts, steps, concurrency, server.count);
      if (errors > 0 || calls !== rollouts * steps) throw new Error(`bench llm: ${errors} rollouts failed, ${calls} calls for ${rollouts * steps} steps`);
      const ideal = (rollouts * steps * LATENCY_MS) / concurrency;
      const n = rollouts * steps;
      process.stdout.write(`bench llm steps=${n} concurrency=${concurrency} ratio=${(ms / ideal).toFixed(3)}\n`);
      const r = rounds((await server.ask<{ arrivals: [number, number][] }>(`arrivals ${before}`)).arrivals, t0);
      const main = thread ? `main_ms_per_step=${(thread.cpuMs / n).toFixed(3)} queued_ms=${thread.queuedMs.toFixed(0)} ` : '';
      process.stdout.write(`bench llm-cpu steps=${n} concurrency=${concurrency} cpu_ms_per_step=${(cpuMs / n).toFixed(3)} first_ms=${r.first.toFixed(0)} step_ms=${r.step.toFixed(1)} spread_ms=${r.spread.toFixed(1)} ${main}load=${loadavg()[0].toFixed(1)}\n`);
      const warm = Number(process.env.BENCH_LLM_WARM ?? 0);
      if (Number.isInteger(warm) && warm > 0) {
        let last = null as Awaited<ReturnType<typeof once>> | null;
        for (let k = 0; k < warm; k++) last = await once(server.url, rollouts, steps, concurrency);
        const w = last!;
        const wMain = w.thread ? ` main_ms_per_step=${(w.thread.cpuMs / n).toFixed(3)}` : '';
        process.stdout.write(`bench llm-warm steps=${n} concurrency=${concurrency} runs=${warm}${wMain} ratio=${(w.ms / ideal).toFixed(3)} load=${loadavg()[0].toFixed(1)}\n`);
      }
    }
    const workers = process.env.BENCH_LLM_WORKERS === undefined ? 2 : int('BENCH_LLM_WORKERS', 0);
    if (concurrencies.includes(64) && workers > 1) await workersLine(server.url, rollouts, steps, 64, workers, server.count);
  } finally {
    server.close();
  }
}

/** The concurrency-64 run with its rollouts in `workers` worker processes, as `run --workers` places them. */
async function workersLine(url: string, rollouts: number, steps: number, concurrency: number, workers: number, count: () => Promise<number>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-llm-workers-'));
  const runtime = createLlmRuntime({ cacheDir: join(dir, 'cache'), maxRequests: Infinity });
  const scenario = (horizon: number) => resolveScenario(spec(url, rollouts, horizon, concurrency), CLI_REGISTRY, null);
  const place = placeFor(await scenario(2), workers, concurrency, runtime.services())!;
  // The pool outlives both runs: the runner must not close it in between.
  const kept = { slots: place.slots, run: place.run.bind(place), flush: () => place.flush?.() };
  try {
    // Untimed, as for one process: starting the workers, the SDK import in each, the first connections.
    await runScenario(await scenario(2), { out: join(dir, 'warm'), registry: CLI_REGISTRY, version: 'bench', services: runtime.services(), place: kept });
    const s = await scenario(steps);
    const before = await count();
    // The workers started with the warm-up.
    const pids = (place as { pids?: () => number[] }).pids?.() ?? [];
    const workers0 = pids.map(cpuOf);
    const thread0 = mainThread();
    const started = performance.now();
    const summary = await runScenario(s, { out: join(dir, 'run'), registry: CLI_REGISTRY, version: 'bench', services: runtime.services(), place: kept });
    const ms = performance.now() - started;
    const thread1 = mainThread();
    const workers1 = pids.map(cpuOf);
    const calls = (await count()) - before;
    const n = rollouts * steps;
    if (summary.terminations.error > 0 || calls !== n) throw new Error(`bench llm-workers: ${summary.terminations.error} rollouts failed, ${calls} calls for ${n} steps`);
    const ideal = (n * LATENCY_MS) / concurrency;
    const main = thread0 && thread1 ? ` main_ms_per_step=${((thread1.cpuMs - thread0.cpuMs) / n).toFixed(3)}` : '';
    let workersMs: number | null = pids.length > 0 ? 0 : null;
    for (let i = 0; i < pids.length && workersMs !== null; i++) {
      const [a, b] = [workers0[i], workers1[i]];
      workersMs = a === null || b === null ? null : workersMs + b - a;
    }
    const spent = workersMs !== null ? ` workers_ms_per_step=${(workersMs / n).toFixed(3)}` : '';
    process.stdout.write(`bench llm-workers steps=${n} concurrency=${concurrency} workers=${workers} ratio=${(ms / ideal).toFixed(3)}${main}${spent} load=${loadavg()[0].toFixed(1)}\n`);
  } finally {
    await place.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Another process's CPU time so far in ms, all threads (Linux /proc); null elsewhere. */
function cpuOf(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The bench's scenario: `rollouts` rollouts of kv-sum at `horizon` steps, `concurrency` in flight. */
function spec(url: string, rollouts: number, horizon: number, concurrency: number) {
  return parseScenario({
    name: 'bench-llm',
    environment: 'kv-sum',
    params: { dictSize: 64, keysPerStep: 1 },
    horizons: [horizon],
    instances: 1,
    rollouts,
    seed: 1,
    concurrency,
    agents: [{ name: 'claude', kind: 'anthropic', params: { model: 'claude-haiku-4-5', baseURL: url, apiKeyEnv: KEY_ENV, maxRetries: 0 } }],
  });
}

/** One run of `rollouts` × `steps` at `concurrency`, timed from the runner's start to its end. */
/** Per-step arrival figures from the server's (arrival ms, step) pairs; `t0` is the run's start on the server's clock. */
function rounds(arrivals: readonly [number, number][], t0: number): { first: number; step: number; spread: number } {
  const lo = new Map<number, number>();
  const hi = new Map<number, number>();
  for (const [at, t] of arrivals) {
    lo.set(t, Math.min(lo.get(t) ?? Infinity, at));
    hi.set(t, Math.max(hi.get(t) ?? -Infinity, at));
  }
  const ts = [...lo.keys()].sort((a, b) => a - b);
  const last = ts[ts.length - 1];
  let spread = 0;
  for (const t of ts) spread += hi.get(t)! - lo.get(t)!;
  return { first: (hi.get(ts[0]) ?? t0) - t0, step: ts.length > 1 ? (lo.get(last)! - lo.get(ts[0])!) / (ts.length - 1) : 0, spread: spread / ts.length };
}

/** The main thread's time on a core and runnable but waiting for one, in ms (Linux's schedstat); null elsewhere. */
function mainThread(): { cpuMs: number; queuedMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { cpuMs: run / 1e6, queuedMs: wait / 1e6 };
  } catch {
    return null;
  }
}

async function once(url: string, rollouts: number, steps: number, concurrency: number, count?: () => Promise<number>): Promise<{ ms: number; cpuMs: number; thread: { cpuMs: number; queuedMs: number } | null; calls: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-llm-'));
  try {
    const s = await resolveScenario(spec(url, rollouts, steps, concurrency), REGISTRY, null);
    const out = join(dir, 'run');
    const runtime = createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity });
    const before = count ? await count() : 0;
    const cpu0 = process.cpuUsage();
    const thread0 = mainThread();
    const started = performance.now();
    const summary = await runScenario(s, { out, registry: REGISTRY, version: 'bench', services: runtime.services() });
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const thread1 = mainThread();
    const thread = thread0 && thread1 ? { cpuMs: thread1.cpuMs - thread0.cpuMs, queuedMs: thread1.queuedMs - thread0.queuedMs } : null;
    const calls = count ? (await count()) - before : rollouts * steps;
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, thread, calls, errors: summary.terminations.error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Messages API server in a child process (this file with --serve), talking over IPC. */
async function serve(): Promise<void> {
  const started = Date.now();
  const server = await startMessagesServer(KEY, (r) => ({ ...message(r.n, { input: { action: kvSumAnswer(r.body) } }), delayMs: LATENCY_MS }));
  process.on('message', (m) => {
    const [what, arg] = String(m).split(' ');
    if (what === 'now') process.send!({ now: Date.now() - started });
    // Each arrival's server time and step (a step-t request holds 2t − 1 messages).
    else if (what === 'arrivals') process.send!({ arrivals: server.requests.slice(Number(arg)).map((r) => [r.at, (r.body.messages.length + 1) / 2]) });
    else process.send!({ count: server.requests.length });
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send!({ url: server.url });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve') await serve();
  else await main();
}
