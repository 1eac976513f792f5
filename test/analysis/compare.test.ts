import { afterAll, describe, expect, it } from 'vitest';
import { HotmessError } from '../../src/core/index.js';
import { analyzeRun, compareAnalyses, compareValue, renderComparison } from '../../src/analysis/index.js';
import { benjaminiHochberg, erfc, twoSidedP, twoSidedPStudent } from '../../src/metrics/index.js';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

describe('the row test (metrics.md H5)', () => {
  it('p = 2(1 − Φ(|B − A| / σ)) with σ = √(wA² + wB²)/1.96', () => {
    const r = compareValue(0.5, 0.7, [0.4, 0.6], [0.65, 0.75]);
    expect(r.delta).toBeCloseTo(0.2, 12);
    expect(r.floor).toBeCloseTo(Math.hypot(0.1, 0.05), 12);
    // z = 0.2 / (0.111803 / 1.96) = 3.5062; 2(1 − Φ(3.5062)) = 4.545e-4 (normal tables).
    expect(r.p).toBeCloseTo(4.545e-4, 6);
    // A difference exactly at the old floor is z = 1.96, p = 0.05.
    expect(compareValue(0, Math.hypot(0.3, 0.3), [-0.3, 0.3], [0, 0.6]).p).toBeCloseTo(0.0499958, 6);
    expect(compareValue(0.5, 0.7, null, [0.4, 1.0])).toEqual({ delta: expect.closeTo(0.2, 12), floor: null, p: null });
    expect(compareValue(null, 0.7, [0, 1], [0, 1]).delta).toBeNull();
    // Degenerate intervals on both sides: equal is p = 1, unequal p = 0.
    expect(compareValue(0.75, 0.75, [0.75, 0.75], [0.75, 0.75]).p).toBe(1);
    expect(compareValue(0.75, 0.5, [0.75, 0.75], [0.5, 0.5]).p).toBe(0);
  });
  it('erfc and the two-sided p agree with tables', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.1572992070, 7);
    expect(erfc(-1)).toBeCloseTo(1.8427007930, 7);
    expect(twoSidedP(1.959964)).toBeCloseTo(0.05, 6);
    expect(twoSidedP(-2.575829)).toBeCloseTo(0.01, 6);
    expect(twoSidedP(0)).toBe(1);
  });
  it("Student's t tails agree with tables; an infinite df is the normal", () => {
    expect(twoSidedPStudent(12.706, 1)).toBeCloseTo(0.05, 4);
    expect(twoSidedPStudent(2.776, 4)).toBeCloseTo(0.05, 4);
    expect(twoSidedPStudent(2.228, 10)).toBeCloseTo(0.05, 4);
    expect(twoSidedPStudent(3.169, 10)).toBeCloseTo(0.01, 4);
    expect(twoSidedPStudent(1.959964, Infinity)).toBeCloseTo(0.05, 6);
    expect(twoSidedPStudent(1.959964, 1e6)).toBeCloseTo(0.05, 5);
    expect(twoSidedPStudent(0, 3)).toBe(1);
  });
  it('with few instances, widens each standard error by √(G/(G − 1)) and refers to t (Welch–Satterthwaite)', () => {
    // Equal half-widths 0.1 at G = 5 on both sides: s = 0.1/1.96·√(5/4), σ = √2·s, df = 2s⁴ / (2s⁴/4) = 8.
    const s = (0.1 / 1.96) * Math.sqrt(5 / 4);
    const delta = 0.2;
    const r = compareValue(0.5, 0.5 + delta, [0.4, 0.6], [0.6, 0.8], 5, 5);
    expect(r.p).toBeCloseTo(twoSidedPStudent(delta / (Math.SQRT2 * s), 8), 12);
    // t = 2.479 on 8 df: p = 0.0381 (tables), where the normal on the raw floor says 0.0056 (z = 2.772).
    expect(r.p).toBeCloseTo(0.0381, 3);
    expect(compareValue(0.5, 0.5 + delta, [0.4, 0.6], [0.6, 0.8]).p).toBeCloseTo(0.00557, 4);
  });
  it('Benjamini–Hochberg steps up: a later p under its line carries the earlier ones', () => {
    expect(benjaminiHochberg([0.01, 0.02, 0.03, 0.5], 0.05)).toEqual([true, true, true, false]);
    // 0.04 > 1/2 · 0.05, but 0.045 ≤ 2/2 · 0.05: both are discoveries.
    expect(benjaminiHochberg([0.045, 0.04], 0.05)).toEqual([true, true]);
    expect(benjaminiHochberg([0.03, 0.06], 0.05)).toEqual([false, false]);
    expect(benjaminiHochberg([null, 0.001, null], 0.05)).toEqual([false, true, false]);
    expect(benjaminiHochberg([], 0.05)).toEqual([]);
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
    expect(inc.differs).toBe(true);
    expect(c.rows.map((r) => r.metric)).toEqual(['incoherence', 'biasSq', 'variance', 'passK.1', 'passK.2', 'passK.3', 'passK.4', 'passK.5', 'passK.6']);
    expect(c.unmatched).toEqual([{ agent: 'y', horizon: 10, only: 'b' }]);
    // pass^1…6 of x @ H=10 is one family; the three others are families of one.
    expect(c.families.map((f) => [f.family, f.size])).toEqual([
      ['x @ H=10: incoherence', 1],
      ['x @ H=10: biasSq', 1],
      ['x @ H=10: variance', 1],
      ['x @ H=10: passK', 6],
    ]);
    const text = renderComparison(c);
    expect(text.split('\n')[0]).toBe(`compare: ${c.summary.differ} of ${c.summary.families} families differ beyond noise (Benjamini–Hochberg, q = 0.05)${c.summary.untested ? `; ${c.summary.untested} untested (no interval)` : ''}`);
    expect(text.split('\n')[1]).toMatch(/^  x @ H=10: (incoherence|variance|bias²) \S+ → \S+ \([+−]\S+, p = \S+\)$/);
    expect(text).toMatch(/only in B: y @ H=10/);
    const only = compareAnalyses(da, db, { a, b }, { metric: 'incoherence' });
    expect(only.rows.map((r) => r.metric)).toEqual(['incoherence']);
    expect(only.summary.families).toBe(1);
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
