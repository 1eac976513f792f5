/**
 * The 30% fault soak as a benchmark: the `anthropic` agent on kv-sum and on
 * maze (16 rollouts × 8 steps each, concurrency 8, the agent's default
 * retry settings) against the test Messages server with seeded faults:
 * 429, 529, 500, 503, connections closed mid-body, truncated bodies, 2–5 s
 * delays and schema-violating tool input, each on a fraction of requests.
 * It counts the requests, the injected faults, the rollouts that ended in
 * error in the first invocation, and the `--resume` invocations needed
 * until none has (goal: errored = 0, resumes = 0).
 *
 * Prints: bench soak requests=<n> faults=<f> errored=<e> resumes=<r>
 * Sizes: BENCH_SOAK_ROLLOUTS (16), BENCH_SOAK_STEPS (8), BENCH_SOAK_RATE (0.3),
 * BENCH_SOAK_DELAY_MS ("2000-5000").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCommand } from '../src/cli/commands/run.js';
import { faultyHandler } from '../test/llm/fault-server.js';
import { startMessagesServer } from '../test/llm/server.js';
import { runDirProblems, soakAnswer, writeSoakScenario } from '../test/llm/soak.js';

const KEY = 'bench-key';
const KEY_ENV = 'HOTMESS_BENCH_ANTHROPIC_KEY';
const MAX_RESUMES = 5;

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

export async function main(): Promise<void> {
  const rollouts = num('BENCH_SOAK_ROLLOUTS', 16);
  const steps = num('BENCH_SOAK_STEPS', 8);
  const rate = num('BENCH_SOAK_RATE', 0.3);
  const [lo, hi] = (process.env.BENCH_SOAK_DELAY_MS ?? '2000-5000').split('-').map(Number);
  process.env[KEY_ENV] = KEY;
  const server = await startMessagesServer(KEY, soakAnswer['kv-sum']);
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-soak-'));
  let requests = 0;
  let faults = 0;
  let errored = 0;
  let resumes = 0;
  try {
    for (const env of ['kv-sum', 'maze'] as const) {
      const { handler, counts } = faultyHandler(soakAnswer[env], { seed: `bench-soak-${env}`, rate, delayMs: [lo, hi] });
      server.handler = handler;
      const file = writeSoakScenario(dir, { env, baseURL: server.url, keyEnv: KEY_ENV, horizon: steps, rollouts, concurrency: 8, seed: 1, retryDelayMs: 500 });
      const out = join(dir, `run-${env}`);
      let result = await runCommand(file, { out, json: true });
      errored += result.terminations.error;
      while (result.terminations.error > 0 && resumes < MAX_RESUMES) {
        resumes++;
        result = await runCommand(file, { out, resume: true, json: true });
      }
      const problems = runDirProblems(out, rollouts);
      if (problems.length > 0) throw new Error(`bench soak (${env}): ${problems[0]}`);
      requests += counts.requests;
      faults += counts.requests - counts.byKind.none;
    }
    process.stdout.write(`bench soak requests=${requests} faults=${faults} errored=${errored} resumes=${resumes}\n`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
