/** Environment instances: built once per (horizon, env seed), shared read-only by the group. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { InstanceCache, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { canonicalJson, deriveSeed, type AnyEnvironment } from '../../src/core/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';

/** The maze with its resets counted and the states it hands out remembered. */
function countingMaze() {
  const maze = REGISTRY.environments.maze;
  const made: unknown[] = [];
  const env: AnyEnvironment = {
    ...maze,
    reset: (p: unknown, h: number, rng: Parameters<AnyEnvironment['reset']>[2]) => {
      const s = maze.reset(p, h, rng);
      made.push(s);
      return s;
    },
  };
  return { env, made };
}

const spec = {
  name: 'inst',
  environment: 'maze',
  horizons: [4, 6],
  instances: 2,
  rollouts: 3,
  seed: 5,
  agents: [
    { name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } },
    { name: 'random', kind: 'random' },
  ],
};

describe('shared environment instances', () => {
  it('builds each (horizon, instance) once for the whole run, not once per rollout', async () => {
    const s = await resolveScenario(parseScenario(spec), REGISTRY, null);
    const { env, made } = countingMaze();
    const dir = join(tempDir(), 'run');
    await runScenario({ ...s, env }, { out: dir, registry: REGISTRY, version: 'test' });
    // 2 agents × 2 horizons × 2 instances × 3 rollouts = 24 rollouts, 4 instances.
    expect(made).toHaveLength(4);
    // That the logs are those of rollouts that each built their own instance is the golden test's job (test/golden was written so).
  });

  it('hands out the same object per key, and an equal rebuilt one after eviction', () => {
    const { env, made } = countingMaze();
    const cache = new InstanceCache(env, { minSize: 3 }, 2);
    const seeds = [deriveSeed(1, 'env', 8, 0), deriveSeed(1, 'env', 8, 1), deriveSeed(1, 'env', 8, 2)];
    const first = cache.initial(8, seeds[0]);
    expect(cache.initial(8, seeds[0])).toBe(first);
    expect(cache.initial(9, seeds[0])).not.toBe(first);
    cache.initial(8, seeds[1]);
    cache.initial(8, seeds[2]); // evicts the oldest, (8, seeds[0])
    const again = cache.initial(8, seeds[0]);
    expect(again).not.toBe(first);
    expect(made).toHaveLength(5);
    const view = (st: unknown) => canonicalJson(env.observe(st)) + env.hash(st) + env.instructions!(st);
    expect(view(again)).toBe(view(first));
  });
});
