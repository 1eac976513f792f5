import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisDocumentSchema, analyzeRun, nullNonFinite, writeAnalysis, type AnalysisDocument } from '../../src/analysis/index.js';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

const sq = (value: number, target: number) => ({ kind: 'squared' as const, value, target, success: value === target });

/** Two instances: the first hand-worked step by step (see the expectations below). */
const ROLLOUTS: FixtureRollout[] = [
  { index: 0, actions: ['N', 'N', 'E'], oracle: ['N', 'N', 'N'], measures: [1, 2, 3], targets: [1, 2, 3], outcome: sq(3, 3) },
  { index: 1, actions: ['N', 'E', 'E'], oracle: ['N', 'N', 'N'], measures: [1, 3, 4], targets: [1, 2, 3], outcome: sq(4, 3) },
  { index: 2, actions: ['N', 'N'], oracle: ['N', 'N'], measures: [1, 2], targets: [1, 2], outcome: sq(2, 3), termination: 'terminated' },
  { index: 0, instance: 1, actions: ['N', 'N', 'N'], oracle: ['N', 'N', 'N'], outcome: sq(3, 3) },
  { index: 1, instance: 1, actions: ['E', 'N', 'N'], oracle: ['N', 'N', 'N'], outcome: sq(5, 3) },
];

const allFinite = (v: unknown): boolean =>
  typeof v === 'number' ? Number.isFinite(v) : Array.isArray(v) ? v.every(allFinite) : v !== null && typeof v === 'object' ? Object.values(v).every(allFinite) : true;

describe('analyzeRun on a hand-worked run', async () => {
  const doc = await analyzeRun(makeRun(ROLLOUTS), { resamples: 200 });
  const g0 = doc.groups[0];
  const g1 = doc.groups[1];

  it('follows the output contract, with no NaN or Infinity', () => {
    expect(() => AnalysisDocumentSchema.parse(doc)).not.toThrow();
    expect(allFinite(doc)).toBe(true);
    expect(doc.run).toMatchObject({ name: 'fixture', seed: 7, agents: [{ name: 'a', kind: 'noisy', params: { epsilon: 0.1 } }] });
  });

  it('computes the per-step curves of a group', () => {
    const s = g0.steps;
    expect(s.map((x) => x.alive)).toEqual([3, 3, 2]);
    expect(s.map((x) => x.actionAgreement)).toEqual([1, 1 / 3, 1]);
    expect(s[1].actionEntropy).toBeCloseTo(-(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3), 12);
    expect(s.map((x) => x.survival)).toEqual([1, 1 / 3, 0]);
    expect(s[0].hazard).toBe(0);
    expect(s[1].hazard).toBeCloseTo(2 / 3, 12);
    expect(s[2].hazard).toBe(1);
    expect(s.map((x) => x.distinctPrefixes)).toEqual([1, 2, 3]);
    expect(s.map((x) => x.modalShare)).toEqual([1, 2 / 3, 1 / 3]);
    // The rollout that ended at t = 2 stays at its last state.
    expect(s[0].stateDivergence).toBe(0);
    expect(s[1].stateDivergence).toBe(0);
    expect(s[2].stateDivergence).toBeCloseTo(2 / 3, 12);
    expect(s.map((x) => x.taskAccuracy)).toEqual([1, 2 / 3, 1 / 3]);
    // t = 2: measures (2, 3, 2) against 2
    expect(s[1].biasSq).toBeCloseTo(1 / 9, 12);
    expect(s[1].variance).toBeCloseTo(2 / 9, 12);
    expect(s[1].error).toBeCloseTo(1 / 3, 12);
    expect(s[1].incoherence).toBeCloseTo(2 / 3, 12);
    // t = 1: no error at all → incoherence null
    expect(s[0].error).toBe(0);
    expect(s[0].incoherence).toBeNull();
  });

  it('computes the group outcome, pass curves, accuracy and fits', () => {
    expect(g0.n).toBe(3);
    expect(g0.meanLength).toBeCloseTo(8 / 3, 12);
    expect(g0.outcome.biasSq).toBe(0);
    expect(g0.outcome.variance).toBeCloseTo(2 / 3, 12);
    expect(g0.outcome.incoherence).toBeCloseTo(1, 12);
    expect(g0.outcome.corrected.variance).toBeCloseTo(1, 12);
    expect(g0.outcome.corrected.biasSq).toBeCloseTo(-1 / 3, 12);
    expect(g0.outcome.zeroOne).toEqual({ bias: 1, variance: 2 / 3 });
    expect(g0.passK).toEqual({ '1': 1 / 3, '2': 0, '3': 0 });
    expect(g0.passAtK['2']).toBeCloseTo(2 / 3, 12);
    expect(g0.stepAccuracy).toBeCloseTo(5 / 8, 12);
    expect(g0.h50Observed).toBe(3);
    expect(g0.q).toBeCloseTo((1 / 3) ** 0.4, 12);
    expect(g0.hazardSlope).toBeCloseTo(0.5, 12);
    // Instance 1 splits at once: S = 0 from t = 1, hazard undefined afterwards.
    expect(g1.steps.map((x) => x.survival)).toEqual([0, 0, 0]);
    expect(g1.steps.map((x) => x.hazard)).toEqual([1, null, null]);
    expect(g1.steps[0].biasSq).toBeNull(); // no measures logged
  });

  it('pools a horizon as a ratio of sums over instances', () => {
    const h = doc.horizons[0];
    expect(h).toMatchObject({ agent: 'a', horizon: 10, groups: 2, rollouts: 5 });
    expect(h.biasSq).toBeCloseTo(0.5, 12);
    expect(h.variance).toBeCloseTo(5 / 6, 12);
    expect(h.error).toBeCloseTo(4 / 3, 12);
    expect(h.incoherence).toBeCloseTo((2 / 3 + 1) / (2 / 3 + 2), 12);
    expect(h.stepAccuracy).toBeCloseTo((5 + 5) / (8 + 6), 12);
    expect(h.h50Predicted).toBeCloseTo(Math.log(0.5) / Math.log(10 / 14), 12);
    expect(h.steps[0]).toMatchObject({ t: 1, groups: 2, alive: 5, survival: 0.5, hazard: 0.5, taskAccuracy: 0.8 });
    expect(h.steps[1].survival).toBeCloseTo(1 / 6, 12);
    expect(h.steps[1].predictedAccuracy).toBeCloseTo((10 / 14) ** 2, 12);
    const iv = h.ci.incoherence!;
    expect(iv[0]).toBeLessThanOrEqual(h.incoherence!);
    expect(iv[1]).toBeGreaterThanOrEqual(h.incoherence!);
  });

  it('warns when N < 30', () => {
    expect(doc.warnings.filter((w) => w.includes('N < 30'))).toEqual([
      'N < 30 rollouts per instance in 1 of 1 agent × horizon cells (a@H=10 N=2): the paper found pooled estimates settle at about 30',
    ]);
  });

  it('is deterministic (seeded bootstrap) and independent of the order of rollouts in the logs', async () => {
    const again = await analyzeRun(makeRun([...ROLLOUTS].reverse()), { resamples: 200 });
    expect(again.horizons).toEqual(doc.horizons);
    expect(again.groups).toEqual(doc.groups);
  });
});

describe('analyzeRun on awkward input', () => {
  it('excludes and counts error rollouts, and ignores step lines of rollouts it does not know', async () => {
    const dir = makeRun([
      { index: 0, actions: ['N', 'N'], outcome: sq(1, 1) },
      { index: 1, actions: ['N', 'E'], outcome: sq(2, 1) },
      { index: 2, actions: ['E', 'E'], termination: 'error' },
    ]);
    appendFileSync(join(dir, 'steps.jsonl'), JSON.stringify({ rollout: 'ghost:1:0:0', t: 1, action: 'N' }) + '\n');
    const doc = await analyzeRun(dir, { resamples: 10 });
    expect(doc.counts).toMatchObject({ rollouts: 2, errored: 1, ignoredStepLines: 3 });
    expect(doc.groups[0]).toMatchObject({ n: 2, errored: 1 });
    expect(doc.groups[0].steps.map((s) => s.survival)).toEqual([1, 0]);
    expect(doc.warnings.some((w) => w.includes('ended in error'))).toBe(true);
  });

  it('gives null for two-rollout metrics when N = 1, and the error it can compute (regression: N = 1 gave no error)', async () => {
    const doc = await analyzeRun(makeRun([{ index: 0, actions: ['N', 'N'], measures: [3, 1], targets: [1, 1], outcome: sq(2, 1) }]), { resamples: 10 });
    const g = doc.groups[0];
    // Error = mean_r ‖y_r − y*‖² = (2 − 1)² from the one rollout.
    expect(g.outcome).toMatchObject({ biasSq: null, variance: null, error: 1, incoherence: null });
    expect(g.outcome.corrected).toEqual({ biasSq: null, variance: null, incoherence: null });
    expect(g.outcome.zeroOne).toEqual({ bias: null, variance: null });
    expect(g.steps[0]).toMatchObject({ survival: null, actionAgreement: null, stateDivergence: null, hazard: null });
    expect(g.steps.map((s) => [s.error, s.biasSq, s.variance, s.incoherence])).toEqual([
      [4, null, null, null],
      [0, null, null, null],
    ]);
    expect(g.passK).toEqual({ '1': 0 });
    const h = doc.horizons[0];
    expect(h).toMatchObject({ error: 1, biasSq: null, variance: null, incoherence: null });
    expect(h.ci.incoherence).toBeNull();
    expect(h.steps.map((s) => [s.error, s.incoherence])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('skips a torn last line with a warning', async () => {
    const dir = makeRun(ROLLOUTS);
    appendFileSync(join(dir, 'steps.jsonl'), '{"rollout":"a:10:0:0","t":4,"act');
    const warnings: string[] = [];
    const doc = await analyzeRun(dir, { resamples: 10, onWarning: (w) => warnings.push(w) });
    expect(doc.counts.tornLines).toBe(1);
    expect(warnings.some((w) => /steps\.jsonl:15: torn last line/.test(w))).toBe(true);
    expect(doc.groups[0].steps).toHaveLength(3);
  });

  it('names the file and line of a corrupt line', async () => {
    const dir = makeRun(ROLLOUTS);
    const path = join(dir, 'steps.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = '{"rollout": oops}';
    writeFileSync(path, lines.join('\n'));
    await expect(analyzeRun(dir)).rejects.toThrow(/steps\.jsonl:2: corrupt line/);
  });

  it('names the file, line and field of a bad rollout line', async () => {
    const dir = makeRun(ROLLOUTS);
    appendFileSync(join(dir, 'rollouts.jsonl'), JSON.stringify({ rollout: 'a:10:0:9', agent: 'a', horizon: 10, instance: 0, index: 9, length: 1, termination: 'truncated' }) + '\n');
    await expect(analyzeRun(dir)).rejects.toThrow(/rollouts\.jsonl:6: outcome/);
  });

  it('refuses unknown schema versions and missing or incomplete run directories', async () => {
    await expect(analyzeRun(makeRun(ROLLOUTS, { schema: 'hotmess.run/99' }))).rejects.toThrow(/unknown schema version "hotmess\.run\/99"/);
    await expect(analyzeRun('/nonexistent/run')).rejects.toThrow(/not a run directory/);
    const dir = makeRun(ROLLOUTS);
    rmSync(join(dir, 'steps.jsonl'));
    await expect(analyzeRun(dir)).rejects.toThrow(/steps\.jsonl: file not found/);
  });

  it('writes analysis.json that parses back to the same document', async () => {
    const dir = makeRun(ROLLOUTS);
    const doc = await analyzeRun(dir, { resamples: 20 });
    const path = writeAnalysis(dir, doc);
    expect(existsSync(path)).toBe(true);
    const back = JSON.parse(readFileSync(path, 'utf8')) as AnalysisDocument;
    expect(back).toEqual(doc);
  });
});

describe('fork runs', () => {
  it('split divergence inherited from the shared prefix from divergence created after step K', async () => {
    const fork = { sourceRun: 'src', sourceRollout: 'a:10:0:3', step: 2, samples: 3, seeds: 'derive(seed, "fork", sourceRollout, step, index)' };
    const dir = makeRun(
      [
        { index: 0, actions: ['N', 'E', 'N', 'N'] },
        { index: 1, actions: ['N', 'E', 'N', 'S'] },
        { index: 2, actions: ['N', 'E', 'W', 'W'] },
      ],
      { fork },
    );
    const doc = await analyzeRun(dir, { resamples: 10 });
    // S = 1, 1 | 1/3, 0 after the fork
    expect(doc.fork).toEqual({ sourceRollout: 'a:10:0:3', step: 2, survivalAtFork: 1, survivalFinal: 0, inherited: 0, createdAfter: 1, qAfter: expect.closeTo(1 / 3, 12) });
    const plain = await analyzeRun(makeRun([{ index: 0, actions: ['N'] }, { index: 1, actions: ['N'] }]), { resamples: 10 });
    expect(plain.fork).toBeNull();
  });
});

describe('the final JSON guard', () => {
  it('replaces every non-finite number by null, in place', () => {
    const doc = { a: NaN, b: [1, Infinity, { c: -Infinity, d: 2 }], e: 'x', f: null };
    expect(nullNonFinite(doc)).toBe(3);
    expect(doc).toEqual({ a: null, b: [1, null, { c: null, d: 2 }], e: 'x', f: null });
    expect(JSON.stringify(doc)).not.toMatch(/NaN|Infinity/);
  });
});

describe('malformed step values', () => {
  it('refuses a measure that is not numbers, naming the line', async () => {
    const dir = makeRun([{ index: 0, actions: ['N'], measures: [1], targets: [1] }]);
    writeFileSync(join(dir, 'steps.jsonl'), JSON.stringify({ rollout: 'a:10:0:0', t: 1, action: 'N', measure: [null], target: [1] }) + '\n');
    await expect(analyzeRun(dir)).rejects.toThrow(/steps\.jsonl:1: "measure" and "target" must be numbers/);
  });
});

describe('incomplete logs', () => {
  it('refuses rollouts with fewer step lines than their recorded length (issue 10, item 12: lost data, not a shorter rollout)', async () => {
    const dir = makeRun([
      { index: 0, actions: ['N', 'N'] },
      { index: 1, actions: ['N', 'E'] },
    ]);
    writeFileSync(join(dir, 'steps.jsonl'), JSON.stringify({ rollout: 'a:10:0:0', t: 1, action: 'N' }) + '\n');
    await expect(analyzeRun(dir, { resamples: 10 })).rejects.toThrow(/steps\.jsonl: rollout a:10:0:0 has 1 of its 2 steps; its steps must run 1\.\.length/);
  });
});

/** Three identical rollouts per instance: what an oracle or a deterministic agent logs. */
function identical(value: number, target: number, instances = 3): FixtureRollout[] {
  const features = [[0.1, 19.5], [0.2, 29], [0.30000000000000004, 40.6], [0.4, 58.6]];
  return Array.from({ length: instances }, (_, instance) =>
    [0, 1, 2].map((index) => ({ instance, index, actions: ['N', 'N', 'N', 'N'], features, measures: [0.1, 0.1, 0.1, 0.1], targets: [0.3, 0.3, 0.3, 0.1], outcome: sq(value, target) })),
  ).flat();
}
const withFeatures = { environment: { name: 'test', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: true } };

describe('regression: rounding noise reported as real divergence and incoherence', () => {
  it('gives identical rollouts exactly zero variance and divergence, incoherence 0 for pure bias, and no growth fit', async () => {
    const doc = await analyzeRun(makeRun(identical(0.1, 0.3), withFeatures), { resamples: 50 });
    for (const g of doc.groups) {
      expect(g.outcome.variance).toBe(0);
      expect(g.outcome.incoherence).toBe(0);
      expect(g.outcome.biasSq).toBeCloseTo(0.04, 12);
      expect(g.steps.map((s) => s.stateDivergence)).toEqual([0, 0, 0, 0]);
      expect(g.steps.map((s) => s.variance)).toEqual([0, 0, 0, 0]);
      expect(g.steps.map((s) => s.incoherence)).toEqual([0, 0, 0, null]); // t = 4 is on target
      expect(g.growthExponent).toBeNull();
    }
    const h = doc.horizons[0];
    expect(h.variance).toBe(0);
    expect(h.incoherence).toBe(0);
    expect(h.ci.incoherence).toEqual([0, 0]);
    expect(h.growthExponent).toBeNull();
    expect(h.steps.map((s) => s.stateDivergence)).toEqual([0, 0, 0, 0]);
    expect(h.steps.map((s) => s.incoherence)).toEqual([0, 0, 0, null]);
    expect(doc.ensembles.every((e) => e.variance === 0)).toBe(true);
  });
  it('gives an oracle on its target no error and null incoherence everywhere', async () => {
    const doc = await analyzeRun(makeRun(identical(0.1, 0.1), withFeatures), { resamples: 50 });
    const h = doc.horizons[0];
    expect(h).toMatchObject({ biasSq: 0, variance: 0, error: 0, incoherence: null });
    expect(h.ci.incoherence).toBeNull();
    expect(doc.groups.every((g) => g.outcome.incoherence === null && g.outcome.corrected.incoherence === null)).toBe(true);
    expect(doc.ensembles.every((e) => e.incoherence === null && e.closedForm === null)).toBe(true);
  });
});

describe('regression: absolute ERROR_FLOOR made small-scale incoherence null', () => {
  it('reports the incoherence of errors around 1e-10', async () => {
    // Per instance: outcomes 1e-5 and 3e-5 against 0 → bias² 4e-10, var 1e-10, error 5e-10.
    const rs: FixtureRollout[] = [0, 1, 2].flatMap((instance) =>
      [1e-5, 3e-5].map((v, index) => ({ instance, index, actions: ['N'], measures: [v], targets: [0], outcome: sq(v, 0) })),
    );
    const doc = await analyzeRun(makeRun(rs), { resamples: 50 });
    const h = doc.horizons[0];
    expect(h.error! / 5e-10).toBeCloseTo(1, 9);
    expect(h.incoherence).toBeCloseTo(0.2, 9);
    expect(h.ci.incoherence![0]).toBeCloseTo(0.2, 9);
    expect(h.steps[0].incoherence).toBeCloseTo(0.2, 9);
    expect(doc.groups[0].outcome.incoherence).toBeCloseTo(0.2, 9);
  });
  it('keeps a kl oracle’s incoherence null: its δ-smoothed error is within the kl floor', async () => {
    const kl = { kind: 'kl' as const, value: [0, 1, 0], target: [0, 1, 0] };
    const rs: FixtureRollout[] = [0, 1].flatMap((instance) => [0, 1, 2].map((index) => ({ instance, index, actions: ['N'], outcome: kl })));
    const doc = await analyzeRun(makeRun(rs, { environment: { name: 'test', outcomeKind: 'kl', hasFeatures: false } }), { resamples: 50 });
    const h = doc.horizons[0];
    expect(h.error).toBeGreaterThan(0); // about (C − 1)·δ = 2e-12
    expect(h.error).toBeLessThan(1e-11);
    expect(h.variance).toBe(0);
    expect(h.incoherence).toBeNull();
    expect(h.ci.incoherence).toBeNull();
    expect(doc.groups.every((g) => g.outcome.incoherence === null)).toBe(true);
  });
});
