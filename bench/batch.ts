/**
 * The engine's own cost of lockstep batching (`run --batch`): R rollouts × T
 * steps of the `anthropic` agent through Message Batches, against a local
 * batch server (in a child process) that ends every batch at creation. Each
 * step is one batch of R requests: create, append to batches.jsonl, read the
 * results, match them by custom id, cache them and advance every rollout.
 * overhead_ms_per_step is the wall time per lockstep step; there is no model
 * latency in it, only the engine, the SDK and the local HTTP round trips.
 *
 * Prints: bench batch rollouts=<r> steps=<n> requests_per_batch=<m> overhead_ms_per_step=<x>
 * Sizes: BENCH_BATCH_ROLLOUTS (256), BENCH_BATCH_STEPS (16).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import anthropic from '../agents/anthropic.js';
import kvSum from '../environments/kv-sum.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../src/engine/index.js';
import { createLlmRuntime } from '../src/llm/index.js';
import { startBatchServer } from '../test/llm/batch-server.js';
import { kvSumAnswer, message } from '../test/llm/server.js';
import { remoteServer } from './remote-server.js';

const KEY = 'bench-key';
const KEY_ENV = 'HOTMESS_BENCH_ANTHROPIC_KEY';
const REGISTRY: Registry = { environments: { 'kv-sum': kvSum }, agents: { anthropic } };

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

export async function main(): Promise<void> {
  const rollouts = int('BENCH_BATCH_ROLLOUTS', 256);
  const steps = int('BENCH_BATCH_STEPS', 16);
  process.env[KEY_ENV] = KEY;
  const server = await remoteServer(import.meta.url);
  try {
    await once(server.url, 8, 2);
    const before = await server.count();
    const { ms, cpuMs, errors } = await once(server.url, rollouts, steps);
    const batches = (await server.count()) - before;
    if (errors > 0 || batches !== steps) throw new Error(`bench batch: ${errors} rollouts failed, ${batches} batches for ${steps} steps`);
    process.stdout.write(`bench batch rollouts=${rollouts} steps=${steps} requests_per_batch=${rollouts} overhead_ms_per_step=${(ms / steps).toFixed(1)} cpu_ms_per_request=${(cpuMs / (rollouts * steps)).toFixed(2)}\n`);
  } finally {
    server.close();
  }
}

async function once(url: string, rollouts: number, steps: number): Promise<{ ms: number; cpuMs: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-batch-'));
  try {
    const spec = parseScenario({
      name: 'bench-batch',
      environment: 'kv-sum',
      params: { dictSize: 64, keysPerStep: 1 },
      horizons: [steps],
      instances: 1,
      rollouts,
      seed: 1,
      agents: [{ name: 'claude', kind: 'anthropic', params: { model: 'claude-haiku-4-5', baseURL: url, apiKeyEnv: KEY_ENV, maxRetries: 0 } }],
    });
    const s = await resolveScenario(spec, REGISTRY, null);
    const out = join(dir, 'run');
    const runtime = createLlmRuntime({ cacheDir: join(out, 'cache'), runDir: out, maxRequests: Infinity, batch: { runDir: out, pollMs: 10 } });
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const summary = await runScenario(s, {
      out,
      registry: REGISTRY,
      version: 'bench',
      services: runtime.services(),
      concurrency: Number.MAX_SAFE_INTEGER,
      onStart: (todo) => runtime.batcher!.expect(todo.length),
    });
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, errors: summary.terminations.error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serve(): Promise<void> {
  const server = await startBatchServer(KEY, (item, b) => ({ type: 'succeeded', message: message(b, { input: { action: kvSumAnswer(item.params) } }).json }), { pollsToEnd: 0 });
  process.on('message', () => process.send!({ count: server.batches.length }));
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send!({ url: server.url });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve') await serve();
  else await main();
}
