/**
 * Scaling slopes (metrics spec H2) against values computed by hand: planted
 * per-instance splits whose means are exact power laws of scale.
 */
import { describe, expect, it } from 'vitest';
import { ladders, renderScalingTable, scalingAnalysis, verdictOf, VERDICTS, type ScalingCell } from '../../src/analysis/index.js';
import type { AnalysisDocument } from '../../src/analysis/index.js';
import type { GroupResult } from '../../src/analysis/group.js';
import { parseScenario } from '../../src/engine/index.js';
import { buildCharts } from '../../src/report/charts/index.js';

/** A group reduced to what scaling reads: its instance and outcome split. */
const group = (instance: number, biasSq: number, variance: number): GroupResult =>
  ({ info: { agent: '', horizon: 0, instance }, outcome: { biasSq, variance, error: biasSq + variance, floor: 0 } }) as unknown as GroupResult;

/** Instances 0..3 of agent `s<scale>` at horizon H: bias² = b·s^−1·(1 ± jitter), variance = v·s^−0.5·(1 ± jitter); jitter averages to 0 over the 4 instances. */
function cell(scale: number, horizon: number, jitter: number, b = 0.4, v = 0.2): ScalingCell {
  const signs = [1, -1, 1, -1];
  return {
    agent: `s${scale}`,
    horizon,
    groups: signs.map((sg, i) => group(i, (b / scale) * (1 + sg * jitter), (v / Math.sqrt(scale)) * (1 + sg * jitter * (i < 2 ? 1 : -1)))),
  };
}

const agents = [1, 4, 16].map((scale) => ({ agent: `s${scale}`, family: 'f', scale }));

describe('scaling along a family', () => {
  it('recovers the exponents of exact power laws, per horizon and pooled, and the incoherence slope by hand', () => {
    const cells = [1, 4, 16].flatMap((s) => [cell(s, 8, 0.1), cell(s, 16, 0.1, 0.8, 0.4)]);
    const out = scalingAnalysis(agents, cells, { resamples: 200, seed: 'x' });
    expect(out.map((e) => e.horizon)).toEqual([8, 16, null]);
    for (const e of out) {
      expect(e.points).toBe(3);
      expect(e.used).toEqual({ biasSq: 3, variance: 3, incoherence: 3 });
      expect(e.betaBias).toBeCloseTo(-1, 12);
      expect(e.betaVariance).toBeCloseTo(-0.5, 12);
      expect(e.delta).toBeCloseTo(-0.5, 12);
    }
    // Incoherence at H = 8 by hand: V/(B + V) with B = 0.4/s, V = 0.2/√s, against ln s.
    const inc = [1, 4, 16].map((s) => 0.2 / Math.sqrt(s) / (0.4 / s + 0.2 / Math.sqrt(s)));
    const x = [0, Math.log(4), Math.log(16)];
    const mx = x.reduce((a, b) => a + b) / 3;
    const my = inc.reduce((a, b) => a + b) / 3;
    const slope = x.reduce((a, xi, i) => a + (xi - mx) * (inc[i] - my), 0) / x.reduce((a, xi) => a + (xi - mx) ** 2, 0);
    expect(out[0].betaIncoherence).toBeCloseTo(slope, 12);
    expect(out[0].series.map((p) => p.biasSq)).toEqual([0.4, 0.1, 0.025].map((v) => expect.closeTo(v, 12)));
    // Resampling instances jointly: the jitter moves both slopes, but bias always falls faster.
    expect(out[2].ci.delta![1]).toBeLessThan(0);
    expect(out[2].verdict).toBe(VERDICTS.bias);
  });

  it('says undecided when the slopes are equal up to noise, and skips non-positive points in the log fits', () => {
    // Same exponent for both; the jitter makes Δ straddle 0 across resamples.
    const same = [1, 4, 16].map((s) => ({ agent: `s${s}`, horizon: 8, groups: [0, 1, 2, 3].map((i) => group(i, (0.4 / s) * (i % 2 ? 0.5 : 1.5), (0.4 / s) * (i < 2 ? 0.5 : 1.5))) }));
    const [e] = scalingAnalysis(agents, same, { resamples: 400, seed: 'y' });
    expect(e.delta).toBeCloseTo(0, 12);
    expect(e.ci.delta![0]).toBeLessThan(0);
    expect(e.ci.delta![1]).toBeGreaterThan(0);
    expect(e.verdict).toBe(VERDICTS.undecided);
    const zero = [cell(1, 8, 0), cell(4, 8, 0), { ...cell(16, 8, 0), groups: [0, 1, 2, 3].map((i) => group(i, 0, 0.05)) }];
    const [z] = scalingAnalysis(agents, zero, { resamples: 50, seed: 'z' });
    expect(z.used.biasSq).toBe(2);
    expect(z.betaBias).toBeCloseTo(-1, 12);
  });

  it('needs three distinct scales; the verdict follows the interval of Δ', () => {
    expect([...ladders([...agents.slice(0, 2), { agent: 'again', family: 'f', scale: 4 }]).keys()]).toEqual([]);
    expect([...ladders(agents).keys()]).toEqual(['f']);
    expect(verdictOf([-0.3, -0.01])).toBe(VERDICTS.bias);
    expect(verdictOf([0.01, 0.3])).toBe(VERDICTS.variance);
    expect(verdictOf([-0.1, 0.3])).toBe(VERDICTS.undecided);
    expect(verdictOf(null)).toBe(VERDICTS.undecided);
  });

  it('prints a row per horizon and the pooled row', () => {
    const text = renderScalingTable(scalingAnalysis(agents, [1, 4, 16].map((s) => cell(s, 8, 0.1)), { resamples: 100, seed: 'x' }));
    expect(text).toMatch(/^f\s+8\s+3\s+-1 \[.*\]\s+-0\.5 \[.*\].*bias falls faster than variance$/m);
    expect(text).toMatch(/^f\s+all\s+3\s/m);
  });
  it('the report draws one log-log chart per family, a line per horizon and metric', () => {
    const scaling = scalingAnalysis(agents, [1, 4, 16].flatMap((s) => [cell(s, 8, 0.1), cell(s, 16, 0.1)]), { resamples: 20, seed: 'x' });
    const doc = { horizons: [], groups: [], buckets: [], medianSplit: { rule: '', agents: [] }, ensembles: [], fork: null, scaling } as unknown as AnalysisDocument;
    const chart = buildCharts(doc).charts.find((c) => c.id === 'scaling-f')!;
    const values = (chart.spec as { data: { values: { horizon: string; metric: string; value: number }[] } }).data.values;
    expect(new Set(values.map((v) => `${v.horizon}/${v.metric}`))).toEqual(new Set(['8/bias²', '8/variance', '16/bias²', '16/variance', 'all/bias²', 'all/variance']));
    expect(values.filter((v) => v.horizon === '8' && v.metric === 'bias²').map((v) => v.value)).toEqual([0.4, 0.1, 0.025].map((x) => expect.closeTo(x, 12)));
    expect(chart.caption).toMatch(/verdict: bias falls faster than variance/);
  });

  it('a scenario agent takes family and scale together, scale > 0', () => {
    const base = { name: 's', environment: 'quiz', horizons: [4], rollouts: 2, seed: 1 };
    expect(parseScenario({ ...base, agents: [{ name: 'a', kind: 'oracle', family: 'f', scale: 2 }] }).agents[0]).toMatchObject({ family: 'f', scale: 2 });
    expect(() => parseScenario({ ...base, agents: [{ name: 'a', kind: 'oracle', family: 'f' }] })).toThrow(/agents\.0\.scale: family and scale go together/);
    expect(() => parseScenario({ ...base, agents: [{ name: 'a', kind: 'oracle', family: 'f', scale: 0 }] })).toThrow(/agents\.0\.scale:/);
  });
});
