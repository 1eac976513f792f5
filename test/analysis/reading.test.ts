/**
 * Reading results: the horizon trend against a hand-computed slope, the
 * per-agent sentences (including the degenerate cases), and the analysis
 * table fitted to 80 display columns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun, displayWidth, olsSlope, renderAnalysisTable, summarizeAgents } from '../../src/analysis/index.js';
import { targetWidth } from '../../src/cli/io.js';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

/** Six rollouts per instance: three at m − d and three at m + d (target 0), so bias² = m² and variance = d² (plug-in). */
function spreadGroup(agent: string, horizon: number, instance: number, m: number, d: number, extra: Partial<FixtureRollout> = {}): FixtureRollout[] {
  return [0, 1, 2, 3, 4, 5].map((index) => ({
    agent,
    horizon,
    instance,
    index,
    actions: [index % 2 === 0 ? 'L' : 'R'],
    outcome: { kind: 'squared' as const, value: index < 3 ? m - d : m + d, target: 0, success: false },
    ...extra,
  }));
}

describe('incoherence against the horizon', () => {
  // Per horizon, instances (m, d): incoherence = Σ d² / Σ (m² + d²), computed here by hand.
  const plan: Record<number, [number, number][]> = {
    4: [[1, 1], [1.2, 1], [0.8, 1], [1, 0.9], [1.1, 1.1]],
    8: [[1, 1.7], [1.2, 1.8], [0.9, 1.7], [1, 1.6], [1.1, 1.8]],
    16: [[1, 3], [1.1, 3.2], [0.9, 2.8], [1, 3.1], [1.2, 2.9]],
  };
  const byHand = (h: number) => {
    const v = plan[h].reduce((s, [, d]) => s + d * d, 0);
    const e = plan[h].reduce((s, [m, d]) => s + m * m + d * d, 0);
    return v / e;
  };

  it('fits the slope per doubling that a hand computation gives, with an interval around it', async () => {
    const rs = Object.entries(plan).flatMap(([h, cells]) => cells.flatMap(([m, d], i) => spreadGroup('rising', Number(h), i, m, d)));
    const doc = await analyzeRun(makeRun(rs), { resamples: 400 });
    for (const h of [4, 8, 16]) expect(doc.horizons.find((x) => x.horizon === h)!.incoherence).toBeCloseTo(byHand(h), 12);
    // OLS of y on x = log2 H = 2, 3, 4: slope = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² = (y16 − y4) / 2.
    const slope = (byHand(16) - byHand(4)) / 2;
    const trend = doc.trends.find((t) => t.agent === 'rising')!;
    expect(trend.horizons).toEqual([4, 8, 16]);
    expect(trend.slopePerDoubling).toBeCloseTo(slope, 12);
    expect(trend.ci![0]).toBeGreaterThan(0);
    expect(trend.ci![0]).toBeLessThan(slope);
    expect(trend.ci![1]).toBeGreaterThan(slope);
    expect(summarizeAgents(doc)[0]).toMatch(/^rising: incoherence rises with the horizon over H = 4…16 \(slope \+0\.\d+ \[\+0\.\d+, \+0\.\d+\] per doubling\); pairs split at t½ ≈ [\d.]+; variance dominates\.$/);
  });

  it('calls a trend whose interval spans 0 flat within noise', async () => {
    const cells: [number, number][] = [[1, 1], [1.5, 0.8], [0.7, 1.2], [1.2, 1.3], [0.9, 0.7]];
    const rs = [4, 8, 16].flatMap((h, k) => cells.flatMap(([, d], i) => spreadGroup('flat', h, i, cells[(i + k) % 5][0], d)));
    const doc = await analyzeRun(makeRun(rs), { resamples: 400 });
    const trend = doc.trends[0];
    expect(trend.ci![0]).toBeLessThan(0);
    expect(trend.ci![1]).toBeGreaterThan(0);
    expect(summarizeAgents(doc)[0]).toMatch(/^flat: incoherence is flat within noise over H = 4…16 \(slope [+−]?\S+ \[−\S+, \+\S+\] per doubling\)/);
  });

  it('has no trend from one horizon, and no interval with one instance per horizon', async () => {
    const one = await analyzeRun(makeRun(spreadGroup('solo', 8, 0, 1, 1).concat(spreadGroup('solo', 8, 1, 1, 2))), { resamples: 50 });
    expect(one.trends[0].slopePerDoubling).toBeNull();
    expect(summarizeAgents(one)[0]).toMatch(/^solo: incoherence 0\.\d+ \[.*\] at H = 8 \(one horizon: no trend\); intervals from fewer than 5 instances are rough/);
    const thin = await analyzeRun(makeRun([...spreadGroup('thin', 4, 0, 1, 1), ...spreadGroup('thin', 8, 0, 1, 2)]), { resamples: 50 });
    expect(thin.trends[0].slopePerDoubling).toBeCloseTo((4 / 5 - 1 / 2) / 1, 12);
    expect(thin.trends[0].ci).toBeNull();
    expect(summarizeAgents(thin)[0]).toMatch(/no interval: one instance per horizon/);
  });
  it('olsSlope needs two distinct x', () => {
    expect(olsSlope([1], [2])).toBeNull();
    expect(olsSlope([1, 1], [2, 3])).toBeNull();
    expect(olsSlope([0, 1, 2], [1, 3, 5])).toBe(2);
  });
});

describe('degenerate cases in words', () => {
  it('says when there is no error to split', async () => {
    const rs = [0, 1].flatMap((instance) => [0, 1, 2].map((index) => ({ agent: 'perfect', instance, index, actions: ['N'], outcome: { kind: 'squared' as const, value: 0, target: 0, success: true } })));
    const doc = await analyzeRun(makeRun(rs), { resamples: 50 });
    expect(summarizeAgents(doc)[0]).toMatch(/^perfect: every rollout matched the reference, so there is no error to split \(incoherence undefined\); rollouts never split\.$/);
  });
  it('tells identical rollouts (pure bias) from rollouts that failed alike after splitting', async () => {
    const same = [0, 1].flatMap((instance) => [0, 1, 2].map((index) => ({ agent: 'stubborn', instance, index, actions: ['N', 'N'], outcome: { kind: 'squared' as const, value: 2, target: 0, success: false } })));
    const apart = [0, 1].flatMap((instance) => [0, 1, 2].map((index) => ({ agent: 'lost', instance, index, actions: ['N', String(index)], outcome: { kind: 'squared' as const, value: 2, target: 0, success: false } })));
    const doc = await analyzeRun(makeRun([...same, ...apart]), { resamples: 50 });
    const [stubborn, lost] = summarizeAgents(doc);
    expect(stubborn).toBe('stubborn: rollouts of an instance are all identical: incoherence is 0 and the error is all bias; rollouts never split; bias dominates.');
    expect(lost).toMatch(/^lost: every rollout failed, and their outcomes coincide: incoherence is 0 by arithmetic, not coherence; /);
  });
});

describe('the analysis table fits the terminal', () => {
  const rows = (name: string) => [8, 16, 32, 64].flatMap((h) => [0, 1, 2, 3, 4].flatMap((i) => spreadGroup(name, h, i, 1 + i / 10, h / 8)));

  it('stays within 80 display columns, long agent names included, and lists what it left out', async () => {
    const doc = await analyzeRun(makeRun([...rows('noisy-5'), ...rows('claude-haiku-4-5-with-a-long-name')]), { resamples: 100 });
    const text = renderAnalysisTable(doc, { width: 80 });
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
    expect(text).toContain('noisy-5: incoherence');
    expect(text).toMatch(/claude-haiku-4-5-with-a-long-name: incoherence/);
    expect(text).toMatch(/agent +H +inst×N +incoherence \[95% CI\]/);
    const wide = renderAnalysisTable(doc, { wide: true });
    expect(wide).toMatch(/p̂ .*q̂ .*growth b .*hazard slope/);
    // At 120 columns nothing is dropped.
    expect(renderAnalysisTable(doc, { width: 120 })).toMatch(/H50 +t½/);
  });

  it('aligns by display columns: a combining hat takes one column', async () => {
    const doc = await analyzeRun(makeRun(rows('x')), { resamples: 20 });
    const lines = renderAnalysisTable(doc, { wide: true }).split('\n');
    const header = lines.find((l) => l.startsWith('agent'))!;
    const rule = lines[lines.indexOf(header) + 1];
    expect(displayWidth(header)).toBe(displayWidth(rule));
  });

  it('marks intervals from fewer than 5 instances', async () => {
    const few = [8, 16].flatMap((h) => [0, 1, 2].flatMap((i) => spreadGroup('few', h, i, 1 + i / 10, h / 8)));
    const text = renderAnalysisTable(await analyzeRun(makeRun(few), { resamples: 50 }), { width: 100 });
    expect(text).toMatch(/\]\*/);
    expect(text).toContain('*: interval from fewer than 5 instances; read it as rough');
  });

  it('takes the width from the TTY, else $COLUMNS, else 100, never below 80', () => {
    expect(targetWidth({ isTTY: true, columns: 132 }, {})).toBe(132);
    expect(targetWidth({ isTTY: true, columns: 60 }, {})).toBe(80);
    expect(targetWidth({ isTTY: false }, { COLUMNS: '90' })).toBe(90);
    expect(targetWidth({ isTTY: false }, { COLUMNS: 'wide' })).toBe(100);
    expect(targetWidth({}, {})).toBe(100);
  });
});
