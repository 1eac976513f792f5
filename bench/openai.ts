/**
 * `openai` agent throughput: N rollouts × T steps through the whole engine
 * and the real `openai` SDK, against a local OpenAI-compatible server that
 * answers every request after a fixed 50 ms (in a child process, as a real
 * server would be remote). With C rollouts in flight the ideal wall time is
 * N·T·50 ms / C; the ratio measured/ideal is the overhead of the engine, the
 * SDK, the limiter and the response cache. Goal: ≤ 1.2, as for `anthropic`.
 *
 * Prints: bench openai steps=<n> concurrency=<c> ratio=<measured/ideal>
 * Sizes: BENCH_OPENAI_ROLLOUTS (64), BENCH_OPENAI_STEPS (16), BENCH_OPENAI_CONCURRENCY (16).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import openai from '../agents/openai.js';
import kvSum from '../environments/kv-sum.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../src/engine/index.js';
import { createLlmRuntime } from '../src/llm/index.js';
import { chatKvAnswer, completion, startChatServer } from '../test/llm/openai-server.js';
import { remoteServer } from './remote-server.js';

const LATENCY_MS = 50;
const REGISTRY: Registry = { environments: { 'kv-sum': kvSum }, agents: { openai } };

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

export async function main(): Promise<void> {
  const rollouts = int('BENCH_OPENAI_ROLLOUTS', 64);
  const steps = int('BENCH_OPENAI_STEPS', 16);
  const concurrency = int('BENCH_OPENAI_CONCURRENCY', 16);
  const server = await remoteServer(import.meta.url);
  try {
    await once(server.url, concurrency, 2, concurrency);
    const before = await server.count();
    const { ms, cpuMs, errors } = await once(server.url, rollouts, steps, concurrency);
    const calls = (await server.count()) - before;
    if (errors > 0 || calls !== rollouts * steps) throw new Error(`bench openai: ${errors} rollouts failed, ${calls} calls for ${rollouts * steps} steps`);
    const ideal = (rollouts * steps * LATENCY_MS) / concurrency;
    process.stdout.write(`bench openai steps=${rollouts * steps} concurrency=${concurrency} ratio=${(ms / ideal).toFixed(3)} cpu_ms_per_step=${(cpuMs / (rollouts * steps)).toFixed(2)}\n`);
  } finally {
    server.close();
  }
}

async function once(url: string, rollouts: number, steps: number, concurrency: number): Promise<{ ms: number; cpuMs: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-openai-'));
  try {
    const spec = parseScenario({
      name: 'bench-openai',
      environment: 'kv-sum',
      params: { dictSize: 64, keysPerStep: 1 },
      horizons: [steps],
      instances: 1,
      rollouts,
      seed: 1,
      concurrency,
      agents: [{ name: 'qwen', kind: 'openai', params: { model: 'bench', baseURL: url, maxRetries: 0 } }],
    });
    const s = await resolveScenario(spec, REGISTRY, null);
    const out = join(dir, 'run');
    const runtime = createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity });
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const summary = await runScenario(s, { out, registry: REGISTRY, version: 'bench', services: runtime.services() });
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, errors: summary.terminations.error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serve(): Promise<void> {
  const server = await startChatServer(null, (r) => ({ ...completion(r.body.model, [{ args: JSON.stringify({ action: chatKvAnswer(r.body) }) }]), delayMs: LATENCY_MS }));
  process.on('message', () => process.send!({ count: server.requests.length }));
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send!({ url: server.url });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve') await serve();
  else await main();
}
