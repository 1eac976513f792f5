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
 * Sizes: BENCH_LLM_ROLLOUTS (64), BENCH_LLM_STEPS (16), BENCH_LLM_CONCURRENCY (default: a line for 16, then one for 64).
 *
 * The SDK and its HTTP client cost ~1 ms of CPU per call, and the engine and
 * agent about 1 ms more per step, so the ratio is CPU-bound once C × ~2 ms
 * approaches 50 ms on one core (C = 64 needs under 0.8 ms per step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import anthropic from '../agents/anthropic.js';
import kvSum from '../environments/kv-sum.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../src/engine/index.js';
import { createLlmRuntime } from '../src/llm/index.js';
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
      const { ms, calls, errors } = await once(server.url, rollouts, steps, concurrency, server.count);
      if (errors > 0 || calls !== rollouts * steps) throw new Error(`bench llm: ${errors} rollouts failed, ${calls} calls for ${rollouts * steps} steps`);
      const ideal = (rollouts * steps * LATENCY_MS) / concurrency;
      process.stdout.write(`bench llm steps=${rollouts * steps} concurrency=${concurrency} ratio=${(ms / ideal).toFixed(3)}\n`);
    }
  } finally {
    server.close();
  }
}

/** One run of `rollouts` × `steps` at `concurrency`, timed from the runner's start to its end. */
async function once(url: string, rollouts: number, steps: number, concurrency: number, count?: () => Promise<number>): Promise<{ ms: number; calls: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-llm-'));
  try {
    const spec = parseScenario({
      name: 'bench-llm',
      environment: 'kv-sum',
      params: { dictSize: 64, keysPerStep: 1 },
      horizons: [steps],
      instances: 1,
      rollouts,
      seed: 1,
      concurrency,
      agents: [{ name: 'claude', kind: 'anthropic', params: { model: 'claude-haiku-4-5', baseURL: url, apiKeyEnv: KEY_ENV, maxRetries: 0 } }],
    });
    const s = await resolveScenario(spec, REGISTRY, null);
    const out = join(dir, 'run');
    const runtime = createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity });
    const before = count ? await count() : 0;
    const started = performance.now();
    const summary = await runScenario(s, { out, registry: REGISTRY, version: 'bench', services: runtime.services() });
    const ms = performance.now() - started;
    const calls = count ? (await count()) - before : rollouts * steps;
    return { ms, calls, errors: summary.terminations.error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Messages API server in a child process (this file with --serve), talking over IPC. */
async function serve(): Promise<void> {
  const server = await startMessagesServer(KEY, (r) => ({ ...message(r.n, { input: { action: kvSumAnswer(r.body) } }), delayMs: LATENCY_MS }));
  process.on('message', () => process.send!({ count: server.requests.length }));
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send!({ url: server.url });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve') await serve();
  else await main();
}
