/**
 * scenarios/paper/ at reduced size through the real engine: each of the
 * paper's findings must hold, its direction read from analysis.json's 95%
 * cluster-bootstrap intervals; and a finding whose interval crosses the line
 * must not be called.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { paperFinding, type AnalysisDocument } from '../../src/analysis/index.js';
import { paperScenarioFiles, runPaper } from '../../src/workflows/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';

describe('the paper in simulation (reduced size)', async () => {
  const out = tempDir();
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const result = await runPaper({ out, quick: true, registry: REGISTRY, version: 'test' });
  const doc = (scenario: string): AnalysisDocument => {
    const f = result.findings.find((x) => x.scenario === scenario)!;
    return JSON.parse(readFileSync(join(f.dir, 'analysis.json'), 'utf8')) as AnalysisDocument;
  };
  const row = (d: AnalysisDocument, agent: string, H?: number) => d.horizons.find((h) => h.agent === agent && (H === undefined || h.horizon === H))!;

  it('runs one scenario per finding and every finding holds', () => {
    expect(result.findings.map((f) => f.scenario).sort()).toEqual(['paper-ensemble', 'paper-incoherence-horizon', 'paper-quadratic', 'paper-scale-ladder']);
    expect(paperScenarioFiles()).toHaveLength(4);
    expect(result.findings.filter((f) => !f.holds)).toEqual([]);
    expect(readFileSync(result.report, 'utf8')).toMatch(/\| incoherence rises with the horizon .* \| yes \|/);
  });

  it('incoherence rises with the horizon: the drifting agent’s per-doubling slope has its interval above 0, the noisy control’s does not', () => {
    const d = doc('paper-incoherence-horizon');
    const drift = d.trends.find((t) => t.agent === 'drifting')!;
    expect(drift.ci![0]).toBeGreaterThan(0);
    expect(row(d, 'drifting', 128).incoherence!).toBeGreaterThan(row(d, 'drifting', 8).incoherence!);
    const control = d.trends.find((t) => t.agent === 'noisy')!;
    expect(control.ci![0]).toBeLessThan(0.02);
  });

  it('ensembling cuts variance: E = 9 below E = 1, intervals apart, and the variance falls with E', () => {
    const d = doc('paper-ensemble');
    const v = ['E1', 'E3', 'E5', 'E9'].map((a) => row(d, a));
    expect(v[3].ci.variance![1]).toBeLessThan(v[0].ci.variance![0]);
    for (let i = 1; i < 4; i++) expect(v[i].variance!).toBeLessThan(v[i - 1].variance!);
    // The fixed deviations at 10% of questions survive the vote: bias² stays near 0.1.
    expect(v[3].biasSq!).toBeGreaterThan(0.06);
  });

  it('bias falls faster than variance along the ladder, the interval of Δ below 0', () => {
    const d = doc('paper-scale-ladder');
    const pooled = d.scaling.find((e) => e.horizon === null)!;
    expect(pooled.ci.delta![1]).toBeLessThan(0);
    expect(pooled.verdict).toBe('bias falls faster than variance');
    expect(d.scaling.filter((e) => e.horizon !== null).map((e) => e.horizon)).toEqual([20, 40]);
  });

  it('quadratic: the noisy optimiser’s incoherence interval lies above the biased one’s at every horizon', () => {
    const d = doc('paper-quadratic');
    for (const H of [10, 40]) {
      expect(row(d, 'biased', H).incoherence).toBe(0);
      expect(row(d, 'noisy', H).ci.incoherence![0]).toBeGreaterThan(0);
    }
  });

  it('does not call a finding whose interval crosses the line', () => {
    const d = doc('paper-ensemble');
    const e9 = row(d, 'E9');
    e9.ci.variance = [e9.variance!, row(d, 'E1').ci.variance![0] + 0.01];
    expect(paperFinding({ ...d, run: { ...d.run, name: 'paper-ensemble' } }).holds).toBe(false);
    const s = doc('paper-scale-ladder');
    const pooled = s.scaling.find((e) => e.horizon === null)!;
    pooled.verdict = 'undecided';
    expect(paperFinding({ ...s, run: { ...s.run, name: 'paper-scale-ladder' } }).holds).toBe(false);
  });
});
