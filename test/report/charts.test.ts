/**
 * Chart building is pure: these tests check the specs' data against values
 * computed by hand, and that nulls are dropped rather than plotted.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisDocument } from '../../src/analysis/index.js';
import { buildCharts, closedForm, isoEnd, isoLabels, ISO_LEVELS, logSteps, reportMarkdown, type Chart } from '../../src/report/index.js';
import { fixtureDocument } from './fixture.js';

/** Every inline data row of a spec, at any depth (layers carry their own data). */
function dataRows(spec: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const data = o.data as { values?: unknown } | undefined;
      if (data && Array.isArray(data.values)) out.push(...(data.values as Record<string, unknown>[]));
      for (const [k, child] of Object.entries(o)) if (k !== 'data') walk(child);
    }
  };
  walk(spec);
  return out;
}

const chart = (doc: AnalysisDocument, id: string): Chart => {
  const c = buildCharts(doc).charts.find((x) => x.id === id);
  if (!c) throw new Error(`no chart ${id}`);
  return c;
};

const ALL_IDS = ['survival', 'hazard', 'action-agreement', 'state-divergence', 'horizon-sweep', 'step-incoherence', 'bias-variance', 'pass-k', 'task-accuracy', 'ensemble'];

describe('iso-incoherence lines', () => {
  it('end where V = c/(1−c)·B² leaves the box (hand-computed)', () => {
    // c = 0.5: slope 1, the unit box's corner.
    expect(isoEnd(0.5, 1, 1)).toEqual({ x: 1, y: 1 });
    // c = 0.09: slope 0.09/0.91 = 0.098901…, exits the right side.
    const low = isoEnd(0.09, 2, 1);
    expect(low.x).toBe(2);
    expect(low.y).toBeCloseTo(0.1978022, 6);
    // c = 0.68: slope 0.68/0.32 = 2.125, exits the top at x = 1/2.125.
    const high = isoEnd(0.68, 1, 1);
    expect(high.y).toBe(1);
    expect(high.x).toBeCloseTo(0.4705882, 6);
  });

  it('are drawn for 0.09, 0.32, 0.5, 0.68, 0.9 and 0.95, each at its incoherence', () => {
    expect([...ISO_LEVELS]).toEqual([0.09, 0.32, 0.5, 0.68, 0.9, 0.95]);
    const rows = dataRows(chart(fixtureDocument(), 'bias-variance').spec).filter((r) => typeof r.level === 'string');
    const levels = new Set(rows.map((r) => r.level));
    expect([...levels]).toEqual(['0.09', '0.32', '0.5', '0.68', '0.9', '0.95']);
    for (const r of rows) {
      const b = r.biasSq as number;
      const v = r.variance as number;
      if (b === 0 && v === 0) continue; // the origin, shared by every line
      expect(v / (b + v)).toBeCloseTo(Number(r.level), 12);
    }
  });

  it('labels every line without overlap, even when the steep lines crowd the top edge', () => {
    // A wide, flat box: all six lines leave through the top, the high ones a few pixels apart.
    for (const [xMax, yMax] of [[1, 0.01], [1, 1], [0.01, 1], [5, 3]]) {
      const labels = isoLabels(ISO_LEVELS, xMax, yMax);
      expect(labels.map((l) => l.level)).toEqual([...ISO_LEVELS]);
      for (const edge of ['top', 'right'] as const) {
        const px = labels.filter((l) => l.edge === edge).map((l) => l.px).sort((a, b) => a - b);
        // "0.95" at fontSize 10 is about 22 px wide and 10 px tall.
        for (let i = 1; i < px.length; i++) expect(px[i] - px[i - 1]).toBeGreaterThanOrEqual(edge === 'top' ? 22 : 10);
      }
      for (const l of labels) {
        expect(l.biasSq).toBeGreaterThanOrEqual(0);
        expect(l.biasSq).toBeLessThanOrEqual(xMax * (1 + 1e-12));
        expect(l.variance).toBeLessThanOrEqual(yMax * (1 + 1e-12));
      }
    }
    // Steeper lines (higher incoherence) end further left on the top edge, and their labels keep that order.
    const top = isoLabels(ISO_LEVELS, 1, 0.01).filter((l) => l.edge === 'top');
    expect([...top].sort((a, b) => a.px - b.px).map((l) => l.level)).toEqual([0.95, 0.9, 0.68, 0.5, 0.32, 0.09]);
  });

  it('scatter one point per agent × horizon with both values, skipping nulls', () => {
    const rows = dataRows(chart(fixtureDocument(), 'bias-variance').spec).filter((r) => r.agent !== undefined);
    // biased @ 8 is all null: 3 of 4 rows remain (each appears in the point and the path layer).
    const keys = new Set(rows.map((r) => `${r.agent}@${r.horizon}`));
    expect([...keys].sort()).toEqual(['biased@4', 'noisy-0.1@4', 'noisy-0.1@8']);
  });
});

describe('ensembling closed form', () => {
  it('is V/(E·B²+V) (hand-computed) and null at 0/0', () => {
    expect(closedForm(4, 0.1, 0.3)).toBeCloseTo(0.3 / 0.7, 12);
    expect(closedForm(1, 0.2, 0.5)).toBeCloseTo(0.5 / 0.7, 12);
    expect(closedForm(2, 0, 0)).toBeNull();
    expect(closedForm(2, null, 0.3)).toBeNull();
  });

  it('uses the document value, else computes it from the E = 1 point', () => {
    const doc = fixtureDocument();
    const given = dataRows(chart(doc, 'ensemble').spec).find((r) => r.agent === 'noisy-0.1' && r.horizon === 4 && r.E === 4 && r.series !== 'measured');
    expect(given?.value).toBeCloseTo(0.5 / (4 * 0.2 + 0.5), 12);

    for (const e of doc.ensembles) e.closedForm = null;
    const rows = dataRows(chart(doc, 'ensemble').spec).filter((r) => r.series !== 'measured');
    const at = (h: number, E: number) => rows.find((r) => r.horizon === h && r.E === E)?.value;
    // E = 1 point of H = 8: B² = 0.3, V = 1.1, so E = 4 gives 1.1 / (1.2 + 1.1).
    expect(at(8, 4)).toBeCloseTo(1.1 / 2.3, 12);
    expect(at(4, 2)).toBeCloseTo(0.5 / 0.9, 12);
  });

  it('drops a null measured point but keeps its closed form', () => {
    const rows = dataRows(chart(fixtureDocument(), 'ensemble').spec).filter((r) => r.horizon === 8 && r.E === 4);
    expect(rows.map((r) => r.series)).toEqual(['closed form V/(E·B²+V)']);
  });
});

describe('null handling', () => {
  it('never puts a null, NaN or Infinity into any chart', () => {
    for (const c of buildCharts(fixtureDocument()).charts) {
      for (const row of dataRows(c.spec)) {
        for (const [k, v] of Object.entries(row)) {
          if (typeof v === 'number') expect(Number.isFinite(v), `${c.id}.${k}`).toBe(true);
          expect(v, `${c.id}.${k}`).not.toBeNull();
        }
      }
    }
  });

  it('plots exactly the non-null step values', () => {
    const doc = fixtureDocument();
    // noisy: H=4 and H=8 have incoherence null at t = 1 only; biased @ 4 has 4 zeros; biased @ 8 none.
    const rows = dataRows(chart(doc, 'step-incoherence').spec);
    expect(rows.length).toBe(3 + 7 + 4);
    expect(rows.some((r) => r.t === 1 && r.agent === 'noisy-0.1')).toBe(false);
    const survival = dataRows(chart(doc, 'survival').spec);
    expect(survival.length).toBe(4 + 8 + 4);
    const noisy4 = survival.filter((r) => r.agent === 'noisy-0.1' && r.horizon === 4).map((r) => r.value as number);
    noisy4.forEach((v, i) => expect(v).toBeCloseTo(0.82 ** (i + 1), 12));
  });

  it('keeps the CI only where both ends exist', () => {
    const rows = dataRows(chart(fixtureDocument(), 'horizon-sweep').spec);
    const noisy8 = rows.filter((r) => r.agent === 'noisy-0.1' && r.horizon === 8);
    expect(noisy8.find((r) => r.measure === 'incoherence')).toMatchObject({ lo: 0.7, hi: 0.85 });
    expect(noisy8.find((r) => r.measure === 'variance')?.lo).toBeUndefined();
  });

  it('skips pass^k values that are null', () => {
    const rows = dataRows(chart(fixtureDocument(), 'pass-k').spec).filter((r) => r.agent === 'noisy-0.1' && r.horizon === 8);
    expect(rows.map((r) => r.k)).toEqual([1, 2, 4]);
  });

  it('draws nothing, and says why, when every value is null', () => {
    const doc = fixtureDocument();
    for (const h of doc.horizons) {
      Object.assign(h, { biasSq: null, variance: null, error: null, incoherence: null, stepAccuracy: null, passK: {}, ci: {} });
      h.steps = h.steps.map((s) => ({ ...s, survival: null, hazard: null, actionAgreement: null, stateDivergence: null, taskAccuracy: null, predictedAccuracy: null, incoherence: null }));
    }
    doc.ensembles = [];
    const { charts, skipped } = buildCharts(doc);
    expect(charts).toEqual([]);
    expect(skipped.map((s) => s.id)).toEqual(ALL_IDS);
    for (const s of skipped) expect(s.reason.length).toBeGreaterThan(0);
  });
});

/** A document with no finite interval anywhere: what a one-instance run (e.g. a fork) gives. */
function withoutIntervals(doc: AnalysisDocument): AnalysisDocument {
  for (const h of doc.horizons) h.ci = Object.fromEntries(Object.keys(h.ci).map((k) => [k, null]));
  return doc;
}

/** Layers of the horizon-sweep's panel spec, by mark type. */
const sweepMarks = (c: Chart): string[] => {
  const layers = (c.spec as { spec: { layer: { mark: { type: string } }[] } }).spec.layer;
  return layers.map((l) => l.mark.type);
};

describe('horizon sweep on degenerate data (regression: fork reports printed 7 vega "Infinite extent" warnings)', () => {
  it('has error bars only when some interval is finite', () => {
    expect(sweepMarks(chart(fixtureDocument(), 'horizon-sweep'))).toEqual(['line', 'rule']);
    const bare = chart(withoutIntervals(fixtureDocument()), 'horizon-sweep');
    expect(sweepMarks(bare)).toEqual(['line']);
    expect(dataRows(bare.spec).every((r) => r.lo === undefined && r.hi === undefined)).toBe(true);
    expect(bare.caption).toContain('No bars');
  });

  it('is not drawn for a single horizon, and says why', () => {
    const doc = withoutIntervals(fixtureDocument());
    doc.horizons = doc.horizons.filter((h) => h.horizon === 8 && h.agent === 'noisy-0.1');
    const { charts, skipped } = buildCharts(doc);
    expect(charts.map((c) => c.id)).not.toContain('horizon-sweep');
    expect(skipped.find((s) => s.id === 'horizon-sweep')?.reason).toBe('one horizon only (H = 8), so there is no sweep to draw; its values are in the table');
  });
});

describe('task accuracy', () => {
  it('puts p̂ᵗ next to A(t); with no step curves it computes p̂ᵗ for t = 1…H', () => {
    const doc = fixtureDocument();
    let rows = dataRows(chart(doc, 'task-accuracy').spec).filter((r) => r.agent === 'noisy-0.1' && r.horizon === 4);
    expect(rows.filter((r) => r.series === 'measured A(t)').map((r) => r.value)).toEqual([1, 2, 3, 4].map((t) => 0.9 ** t + 0.01));
    doc.horizons[0].steps = [];
    rows = dataRows(chart(doc, 'task-accuracy').spec).filter((r) => r.agent === 'noisy-0.1' && r.horizon === 4);
    const predicted = rows.filter((r) => r.series === 'predicted p̂ᵗ');
    expect(predicted.map((r) => r.t)).toEqual([1, 2, 3, 4]);
    predicted.forEach((r) => expect(r.value).toBeCloseTo(0.9 ** (r.t as number), 12));
  });
});

it('builds every chart family in report order', () => {
  expect(buildCharts(fixtureDocument()).charts.map((c) => c.id)).toEqual(ALL_IDS);
});

describe('plots that hold at long horizons', () => {
  it('switch step axes to log when the horizons span more than a factor of 32, unless forced', () => {
    expect(logSteps([8, 16, 32, 64])).toBe(false);
    expect(logSteps([1, 32])).toBe(false);
    expect(logSteps([16, 64, 256, 1024])).toBe(true);
    expect(logSteps([8, 64], 'log')).toBe(true);
    expect(logSteps([16, 1024], 'linear')).toBe(false);
    const doc = fixtureDocument();
    const long = { ...doc, horizons: doc.horizons.map((h, i) => ({ ...h, horizon: i % 2 === 0 ? 16 : 1024 })) };
    const x = (d: typeof doc, opts = {}) => ((buildCharts(d, opts).charts.find((c) => c.id === 'survival')!.spec as { spec: { encoding: { x: { scale?: { type?: string } } } } }).spec.encoding.x.scale?.type ?? 'linear');
    expect(x(doc)).toBe('linear');
    expect(x(long)).toBe('log');
    expect(x(long, { stepScale: 'linear' })).toBe('linear');
    expect(x(doc, { stepScale: 'log' })).toBe('log');
  });

  it('drop a chart that would repeat another at every point, and say why', () => {
    const doc = fixtureDocument();
    const same = { ...doc, horizons: doc.horizons.map((h) => ({ ...h, steps: h.steps.map((s) => ({ ...s, actionAgreement: s.survival })) })) };
    const built = buildCharts(same);
    expect(built.charts.map((c) => c.id)).not.toContain('action-agreement');
    expect(built.skipped.find((s) => s.id === 'action-agreement')?.reason).toMatch(/^identical to the survival chart at every step: rollouts that split \(almost\) never take the same action again/);
    expect(buildCharts(doc).charts.map((c) => c.id)).toContain('action-agreement');
  });
});

describe('tables that say nothing', () => {
  it('are left out of the report: length buckets and median halves with no incoherence, bias² or variance', () => {
    const doc = fixtureDocument();
    const content = (d: AnalysisDocument) => reportMarkdown({ runDir: 'runs/x', doc: d, manifest: null, plots: [], skipped: [], warnings: [] });
    expect(content(doc)).toContain('### Incoherence by rollout length');
    const empty = {
      ...doc,
      buckets: doc.buckets.map((b) => ({ ...b, incoherence: null, biasSq: null, variance: null })),
      medianSplit: { ...doc.medianSplit, agents: doc.medianSplit.agents.map((a) => ({ ...a, short: { ...a.short, incoherence: null }, long: { ...a.long, incoherence: null } })) },
    };
    expect(content(empty)).not.toContain('### Incoherence by rollout length');
    expect(content(empty)).not.toContain('### Median split');
  });
});
