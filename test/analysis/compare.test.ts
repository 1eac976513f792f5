import { afterAll, describe, expect, it } from 'vitest';
import { HotmessError } from '../../src/core/index.js';
import { analyzeRun, compareAnalyses, compareValue, renderComparison } from '../../src/analysis/index.js';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

describe('the noise-floor rule', () => {
  it('compares |B − A| with √(wA² + wB²) from the half-widths of the intervals', () => {
    const r = compareValue(0.5, 0.7, [0.4, 0.6], [0.65, 0.75]);
    expect(r.delta).toBeCloseTo(0.2, 12);
    expect(r.floor).toBeCloseTo(Math.hypot(0.1, 0.05), 12);
    expect(r.exceeds).toBe(true);
    expect(compareValue(0.5, 0.7, [0.2, 0.8], [0.4, 1.0]).exceeds).toBe(false);
    expect(compareValue(0.5, 0.7, null, [0.4, 1.0])).toEqual({ delta: expect.closeTo(0.2, 12), floor: null, exceeds: null });
    expect(compareValue(null, 0.7, [0, 1], [0, 1]).delta).toBeNull();
  });
});

const sq = (value: number) => ({ kind: 'squared' as const, value, target: 0 });
function run(agents: string[], spread: number, manifest: Record<string, unknown> = {}): string {
  const rs: FixtureRollout[] = [];
  for (const agent of agents)
    for (let instance = 0; instance < 4; instance++)
      for (let index = 0; index < 6; index++) rs.push({ agent, instance, index, actions: ['N'], outcome: sq(1 + spread * ((index % 3) - 1) + instance * 0.1) });
  return makeRun(rs, manifest);
}

describe('compareAnalyses', () => {
  it('lines up agent × horizon cells and lists the unmatched ones', async () => {
    const a = run(['x'], 0.1);
    const b = run(['x', 'y'], 2);
    const [da, db] = [await analyzeRun(a, { resamples: 200 }), await analyzeRun(b, { resamples: 200 })];
    const c = compareAnalyses(da, db, { a, b });
    const inc = c.rows.find((r) => r.metric === 'incoherence')!;
    expect(inc.a).toBeCloseTo(da.horizons[0].incoherence!, 12);
    expect(inc.b).toBeCloseTo(db.horizons[0].incoherence!, 12);
    expect(inc.exceeds).toBe(true);
    expect(c.rows.map((r) => r.metric)).toEqual(['incoherence', 'biasSq', 'variance', 'passK.1', 'passK.2', 'passK.3', 'passK.4', 'passK.5', 'passK.6']);
    expect(c.unmatched).toEqual([{ agent: 'y', horizon: 10, only: 'b' }]);
    expect(renderComparison(c)).toMatch(/only in B: y @ H=10/);
  });
});

const env = (name: string, outcomeKind = 'squared', params?: unknown) => ({ environment: { name, outcomeKind, measureKind: null, hasFeatures: false }, ...(params ? { scenario: { params } } : {}) });

describe('regression: compare mixed environments silently', () => {
  it('refuses a maze run against a kv-sum run with one usage error', async () => {
    const a = run(['x'], 0.1, env('maze'));
    const b = run(['x'], 2, env('kv-sum'));
    const [da, db] = [await analyzeRun(a, { resamples: 20 }), await analyzeRun(b, { resamples: 20 })];
    let caught: unknown;
    try {
      compareAnalyses(da, db, { a, b });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HotmessError);
    expect((caught as HotmessError).code).toBe('usage');
    expect((caught as HotmessError).message).toBe(`cannot compare ${a} with ${b}: environment "maze" vs "kv-sum"; compare runs of the same environment and outcome kind`);
  });
  it('refuses runs of one environment with different outcome kinds', async () => {
    const a = run(['x'], 0.1, env('maze', 'squared'));
    const b = run(['x'], 0.1, env('maze', 'brier'));
    const [da, db] = [await analyzeRun(a, { resamples: 20 }), await analyzeRun(b, { resamples: 20 })];
    expect(() => compareAnalyses(da, db, { a, b })).toThrow(/outcome kind squared vs brier/);
  });
  it('warns, in the result and through onWarning, when the scenarios differ', async () => {
    const a = run(['x'], 0.1, { ...env('maze', 'squared', { size: 5 }), scenarioHash: 'aaa' });
    const b = run(['x'], 0.1, { ...env('maze', 'squared', { size: 7 }), scenarioHash: 'bbb' });
    const c = run(['x'], 0.1, { ...env('maze', 'squared', { size: 5 }), scenarioHash: 'ccc' });
    const [da, db, dc] = await Promise.all([a, b, c].map((d) => analyzeRun(d, { resamples: 20 })));
    const seen: string[] = [];
    const params = compareAnalyses(da, db, { a, b }, { onWarning: (w) => seen.push(w) });
    expect(params.warnings).toEqual(['environment params differ (A {"size":5}, B {"size":7}): differences may come from the scenario, not the agents']);
    expect(seen).toEqual(params.warnings);
    expect(compareAnalyses(da, dc, { a, b: c }).warnings).toEqual([
      'scenario hashes differ (A aaa, B ccc): check horizons, instances and agents match what you mean to compare',
    ]);
    expect(compareAnalyses(da, da, { a, b: a }).warnings).toEqual([]);
  });
});
