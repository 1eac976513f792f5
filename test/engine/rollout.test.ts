import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

const fixtureFile = join(process.cwd(), 'test', 'fixtures', 'scenario.yaml');

async function run(agents: unknown[], params: Record<string, unknown> = {}, horizons = [4]) {
  const spec = parseScenario({ name: 'counter', environment: './counter-env.ts', params, horizons, instances: 1, rollouts: 2, seed: 1, agents });
  // The environment is named by a path relative to the scenario file.
  const scenario = await resolveScenario(spec, REGISTRY, fixtureFile);
  const dir = join(tempDir(), 'run');
  const summary = await runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test' });
  return { summary, rollouts: readJsonlFile<Record<string, any>>(join(dir, 'rollouts.jsonl')), steps: readJsonlFile<Record<string, any>>(join(dir, 'steps.jsonl')) };
}

describe('rollout endings', () => {
  it('ends `terminated` when the environment reaches its end state', async () => {
    const { rollouts, steps } = await run([{ name: 'o', kind: 'oracle' }]);
    expect(rollouts.map((r) => r.termination)).toEqual(['terminated', 'terminated']);
    expect(rollouts[0]).toMatchObject({ length: 4, outcome: { kind: 'coverage', value: [1], target: [1], success: true }, return: 4 });
    expect(steps.filter((s) => s.rollout === 'o:4:0:0').map((s) => s.t)).toEqual([1, 2, 3, 4]);
  });

  it('ends `truncated` at the horizon, kept distinct from terminated', async () => {
    const { rollouts } = await run([{ name: 'o', kind: 'oracle' }], { slack: 3 });
    expect(rollouts.map((r) => [r.termination, r.length])).toEqual([
      ['truncated', 4],
      ['truncated', 4],
    ]);
    expect(rollouts[0].outcome.success).toBe(false);
  });

  it('ends `error` with a message when the environment throws, and the run goes on', async () => {
    const { rollouts, summary } = await run([
      { name: 'b', kind: 'biased', params: { rate: 1 } },
      { name: 'o', kind: 'oracle' },
    ]);
    const b = rollouts.filter((r) => r.agent === 'b');
    expect(b.map((r) => r.termination)).toEqual(['error', 'error']);
    expect(b[0].error).toMatch(/kaboom/);
    expect(b[0].outcome).toBeNull();
    expect(summary.terminations).toEqual({ terminated: 2, truncated: 0, error: 2 });
  });

  it('logs an illegal action as a step that leaves the state unchanged', async () => {
    const { steps } = await run([{ name: 'r', kind: 'random' }], {}, [30]);
    const illegal = steps.filter((s) => s.illegal === 'wall');
    expect(illegal.length).toBeGreaterThan(0);
    for (const s of illegal) expect(s.patches).toEqual([]);
    // The oracle column always says what the right action was.
    expect(new Set(steps.map((s) => s.oracle))).toEqual(new Set(['inc']));
  });
});

describe('stopping a run', () => {
  const scenario = () => resolveScenario(parseScenario({ name: 'counter', environment: './counter-env.ts', params: {}, horizons: [4], instances: 1, rollouts: 3, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] }), REGISTRY, fixtureFile);

  it('a stop reached by the last rollout stops nothing: the run is finished, not interrupted', async () => {
    const s = await scenario();
    let done = 0;
    // Like a cost budget: over the limit once every rollout has run.
    const summary = await runScenario(s, { out: join(tempDir(), 'run'), registry: REGISTRY, version: 'test', onProgress: (d) => (done = d), shouldStop: () => (done >= 3 ? 'budget reached' : null) });
    expect(summary).toMatchObject({ status: 'finished', ran: 3, stoppedBecause: null });
  });

  it('a stop reached earlier starts no more rollouts and says why', async () => {
    const s = await scenario();
    let done = 0;
    const dir = join(tempDir(), 'run');
    const summary = await runScenario(s, { out: dir, registry: REGISTRY, version: 'test', onProgress: (d) => (done = d), shouldStop: () => (done >= 2 ? 'budget reached' : null) });
    expect(summary).toMatchObject({ status: 'interrupted', ran: 2, stoppedBecause: 'budget reached' });
    expect(readJsonlFile(join(dir, 'rollouts.jsonl'))).toHaveLength(2);
  });
});
