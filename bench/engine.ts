/**
 * Engine throughput per environment: scripted steps/second through the full
 * engine (scenario → runner → xstate rollout actor → logs on disk), against
 * a bare loop that calls the same environment and agent functions and writes
 * the same lines to disk, with no actor and no runner.
 *
 * Prints one line per environment:
 *   bench <env> engine=<steps/s> bare=<steps/s> ratio=<engine/bare>
 *
 * Rates are steps per second of this process's CPU time (one core: scripted
 * rollouts are single-threaded), so other load on the machine does not skew
 * the ratio; on an idle machine they match wall-clock rates. Each rate is
 * the best of three alternating rounds.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { REGISTRY } from '../src/cli/registry.js';
import { buildAgent, InstanceCache, parseScenario, planRollouts, resolveScenario, RolloutSession, runScenario, type ResolvedScenario } from '../src/engine/index.js';
import { RunWriter } from '../src/log/index.js';
import { peerLine, peerRate } from './peer.js';

/** Horizon and rollouts per environment, about 100k–200k steps each. */
const SIZES: Record<string, { horizon: number; rollouts: number; params?: Record<string, unknown> }> = {
  'kv-sum': { horizon: 1000, rollouts: 200 },
  maze: { horizon: 64, rollouts: 1500 },
  hanoi: { horizon: 255, rollouts: 400 },
  quadratic: { horizon: 500, rollouts: 200 },
  workflow: { horizon: 64, rollouts: 1500 },
  inventory: { horizon: 365, rollouts: 300 },
};

async function scenarioFor(env: string): Promise<ResolvedScenario> {
  const size = SIZES[env] ?? { horizon: 64, rollouts: 1000 };
  const spec = parseScenario({
    name: `bench-${env}`,
    environment: env,
    params: size.params ?? {},
    horizons: [size.horizon],
    instances: 1,
    rollouts: size.rollouts,
    seed: 1,
    agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.05 } }],
  });
  return resolveScenario(spec, REGISTRY, null);
}

/** The same work as the engine, minus the actor and runner: the baseline. */
function bareLoop(s: ResolvedScenario, dir: string): number {
  const writer = new RunWriter(dir);
  const instances = new InstanceCache(s.env, s.envParams);
  let steps = 0;
  for (const planned of planRollouts(s)) {
    const sink = writer.stepBuffer();
    const session = new RolloutSession({ id: planned.id, env: s.env, params: s.envParams, horizon: planned.horizon, seeds: planned.seeds, sink, keepHistory: false, instances });
    session.agent = buildAgent(session, planned, REGISTRY, s.env.name);
    while (session.t < session.horizon && !session.terminated && session.failure === null) {
      session.observe();
      session.actAndRecord(session.decideSync());
    }
    steps += session.t;
    writer.commit(sink, JSON.stringify({ rollout: planned.id, length: session.t, outcome: session.outcome().outcome }));
  }
  writer.close();
  return steps;
}

async function engineRun(s: ResolvedScenario, dir: string): Promise<number> {
  await runScenario(s, { out: dir, registry: REGISTRY, version: 'bench' });
  let steps = 0;
  const { readJsonl } = await import('../src/log/index.js');
  await readJsonl(join(dir, 'rollouts.jsonl'), (r) => (steps += (r as { length: number }).length));
  return steps;
}

const ROUNDS = 3;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

export interface EngineBenchOptions {
  /** Run the Gymnasium peer right before and after maze and print the `bench peer` line (npm run bench). */
  readonly peer?: boolean;
}

export async function main(envs: string[] = Object.keys(REGISTRY.environments), opts: EngineBenchOptions = {}): Promise<void> {
  for (const env of envs) {
    const peer = opts.peer && env === 'maze';
    const before = peer ? peerRate() : null;
    const s = await scenarioFor(env);
    const root = mkdtempSync(join(tmpdir(), 'hotmess-bench-'));
    try {
      // Warm up both paths once so the JIT is fair to each.
      const warm = { ...s, spec: { ...s.spec, rollouts: Math.max(1, Math.floor(s.spec.rollouts / 10)) } };
      bareLoop(warm, mkdtempSync(join(root, 'w1-')));
      await engineRun(warm, join(root, 'w2'));
      // Alternate the two paths and keep each one's best of ROUNDS, so garbage
      // left by one measurement (collected during the next) does not bias either.
      let bare = 0;
      let engine = 0;
      for (let round = 0; round < ROUNDS; round++) {
        let t0 = process.cpuUsage();
        const bareSteps = bareLoop(s, mkdtempSync(join(root, `bare${round}-`)));
        bare = Math.max(bare, bareSteps / cpuSeconds(t0));
        t0 = process.cpuUsage();
        const engineSteps = await engineRun(s, join(root, `engine${round}`));
        engine = Math.max(engine, engineSteps / cpuSeconds(t0));
      }
      process.stdout.write(`bench ${env} engine=${engine.toFixed(0)} bare=${bare.toFixed(0)} ratio=${(engine / bare).toFixed(2)}\n`);
      if (before) process.stdout.write(peerLine(before, engine, 'skipped' in before ? before : peerRate()));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
