/**
 * Cost per step against the horizon, per environment: the same number of
 * steps run as 16 rollouts of a short horizon H and as one rollout of 16·H
 * (every rollout on its own instance, so generation is counted alike). A
 * rollout should cost linear time in its horizon, so the two CPU costs per
 * step should match: `growth` = long ÷ short stays near 1. A state that
 * copies its whole history each step (quadratic) shows as growth ≫ 1.
 *
 * Prints one line per environment:
 *   bench horizon env=<env> short=<H>:<µs/step> long=<16H>:<µs/step> growth=<long/short>
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY } from '../src/cli/registry.js';
import { parseScenario, resolveScenario, runScenario } from '../src/engine/index.js';

/** Short horizons: hanoi's must be 2^n − 1. The long one is 16 times as many steps. */
const SHORT: Record<string, number> = { hanoi: 511 };
const LONG_FACTOR = 16;

async function cpuPerStep(env: string, horizon: number, instances: number, dir: string): Promise<number> {
  const s = await resolveScenario(
    parseScenario({ name: `horizon-${env}`, environment: env, horizons: [horizon], instances, rollouts: 1, seed: 1, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.05 } }] }),
    REGISTRY,
    null,
  );
  const t0 = process.cpuUsage();
  await runScenario(s, { out: dir, registry: REGISTRY, version: 'bench' });
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / (horizon * instances);
}

export async function main(envs: string[] = Object.keys(REGISTRY.environments)): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'hotmess-bench-horizon-'));
  try {
    for (const env of envs) {
      const short = SHORT[env] ?? 500;
      const long = env === 'hanoi' ? (short + 1) * LONG_FACTOR - 1 : short * LONG_FACTOR;
      await cpuPerStep(env, short, 2, join(root, `${env}-warm`));
      const a = await cpuPerStep(env, short, LONG_FACTOR, join(root, `${env}-short`));
      const b = await cpuPerStep(env, long, 1, join(root, `${env}-long`));
      process.stdout.write(`bench horizon env=${env} short=${short}:${a.toFixed(1)} long=${long}:${b.toFixed(1)} growth=${(b / a).toFixed(2)}\n`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
