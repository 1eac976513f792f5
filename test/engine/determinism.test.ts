import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { dropTiming, normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';

const spec = {
  name: 'det',
  environment: 'kv-sum',
  params: { dictSize: 16, keysPerStep: 2 },
  horizons: [5, 9],
  instances: 2,
  rollouts: 3,
  seed: 11,
  agents: [
    { name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } },
    { name: 'sc', kind: 'self-conditioning', params: { epsilon0: 0.1, growth: 0.2 } },
  ],
};

async function runInto(dir: string, s = spec, concurrency?: number) {
  const scenario = await resolveScenario(parseScenario(s), REGISTRY, null);
  return runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test', concurrency });
}

describe('determinism by seed', () => {
  it('gives byte-identical logs apart from timing, for any concurrency', async () => {
    const a = tempDir();
    const b = tempDir();
    await runInto(join(a, 'run'));
    await runInto(join(b, 'run'), spec, 4);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) {
      expect(normalisedLines(join(b, 'run', f))).toEqual(normalisedLines(join(a, 'run', f)));
    }
    const ma = dropTiming(JSON.parse(readFileSync(join(a, 'run', 'manifest.json'), 'utf8')));
    const mb = dropTiming(JSON.parse(readFileSync(join(b, 'run', 'manifest.json'), 'utf8')));
    expect(mb).toEqual(ma);
  });

  it('shares the environment instance within a group and gives every rollout its own agent seed', async () => {
    const dir = join(tempDir(), 'run');
    await runInto(dir);
    const rollouts = readJsonlFile<{ agent: string; horizon: number; instance: number; index: number; seeds: { env: string; agent: string } }>(join(dir, 'rollouts.jsonl'));
    expect(rollouts).toHaveLength(2 * 2 * 2 * 3);
    const envSeedByGroup = new Map<string, Set<string>>();
    const agentSeeds = new Set<string>();
    for (const r of rollouts) {
      const g = `${r.horizon}:${r.instance}`;
      if (!envSeedByGroup.has(g)) envSeedByGroup.set(g, new Set());
      envSeedByGroup.get(g)!.add(r.seeds.env);
      agentSeeds.add(r.seeds.agent);
      expect(r.seeds.env).not.toBe(r.seeds.agent);
    }
    // One instance per (horizon, instance), shared by both agents and all rollouts.
    for (const seeds of envSeedByGroup.values()) expect(seeds.size).toBe(1);
    expect(new Set([...envSeedByGroup.values()].map((s) => [...s][0])).size).toBe(4);
    expect(agentSeeds.size).toBe(rollouts.length);
  });

  it('makes rollout k a function of its own seed alone: adding rollouts does not change earlier ones', async () => {
    const small = join(tempDir(), 'run');
    const big = join(tempDir(), 'run');
    await runInto(small);
    await runInto(big, { ...spec, rollouts: 5 });
    const bigLines = new Set(normalisedLines(join(big, 'steps.jsonl')));
    for (const line of normalisedLines(join(small, 'steps.jsonl'))) expect(bigLines.has(line)).toBe(true);
  });

  it('loads the shipped demo scenario and writes its manifest with seeds and status', async () => {
    const scenario = await loadScenario('scenarios/demo.yaml', REGISTRY);
    const dir = join(tempDir(), 'run');
    const small = { ...scenario, spec: { ...scenario.spec, horizons: [4], instances: 1, rollouts: 2 } };
    const summary = await runScenario(small, { out: dir, registry: REGISTRY, version: 'test' });
    expect(summary.status).toBe('finished');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ schema: 'hotmess.run/1', status: 'finished', name: 'demo', seed: 2026 });
    expect(m.timing.startedAt).toBeTypeOf('string');
  });
});
