import { afterAll, describe, expect, it } from 'vitest';
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
function run(agents: string[], spread: number): string {
  const rs: FixtureRollout[] = [];
  for (const agent of agents)
    for (let instance = 0; instance < 4; instance++)
      for (let index = 0; index < 6; index++) rs.push({ agent, instance, index, actions: ['N'], outcome: sq(1 + spread * ((index % 3) - 1) + instance * 0.1) });
  return makeRun(rs);
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
