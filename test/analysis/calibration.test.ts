/**
 * Calibration through the real engine: scripted agents with planted
 * behaviour on maze must be recovered within binomial / bootstrap
 * tolerances (metrics spec F). Seeded, so the verdicts are deterministic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENTS } from '../../agents/index.js';
import { ENVIRONMENTS } from '../../environments/index.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { checkCalibration, runCalibration } from '../../src/workflows/index.js';

const registry = { environments: ENVIRONMENTS, agents: AGENTS };

describe('calibration (quick) through the engine', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hotmess-calib-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'run');
  const result = await runCalibration({ registry, version: 'test', quick: true, out });
  const check = (agent: string, name: string) => result.checks.find((c) => c.agent === agent && c.check.startsWith(name))!;

  it('recovers every planted value within tolerance', () => {
    const bad = result.checks.filter((c) => !c.ok).map((c) => `${c.agent} ${c.check}: ${c.recovered} vs ${c.planted} ± ${c.tolerance}`);
    expect(bad).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('checks the closed forms of the noisy agent (m = 4, ε = 0.1)', () => {
    expect(check('noisy', 'q̂').planted).toBeCloseTo(0.81 + 0.01 / 3, 12);
    expect(check('noisy', 'p̂').planted).toBeCloseTo(0.9, 12);
    expect(check('noisy', 'H50').planted).toBeCloseTo(Math.log(0.5) / Math.log(0.9), 12);
    // Tolerances come from standard errors: finite, positive and tighter than the effect sizes.
    for (const name of ['q̂', 'p̂', 'H50', 'hazard slope']) {
      const t = check('noisy', name).tolerance!;
      expect(t).toBeGreaterThan(0);
    }
    expect(check('noisy', 'q̂').tolerance!).toBeLessThan(0.1);
    expect(check('noisy', 'p̂').tolerance!).toBeLessThan(0.02);
  });

  it('recovers the planted ladder: closed-form slopes, the verdict, the bottom rung', () => {
    expect(check('ladder', 'β bias²').planted).toBeCloseTo(-0.98, 1);
    expect(check('ladder', 'β variance').planted).toBeCloseTo(-0.4, 1);
    expect(check('ladder', 'verdict').ok).toBe(true);
    expect(check('ladder', 'β variance').tolerance!).toBeLessThan(0.2);
    expect(result.checks.filter((c) => c.agent === 'mixed (ladder-1)').map((c) => c.ok)).toEqual([true, true]);
  });

  it('sees bias without variance, no error for the oracle, compounding and ensembling', () => {
    expect(check('biased', 'incoherence').recovered).toBe(0);
    expect(check('biased', 'bias²').recovered!).toBeGreaterThan(0);
    expect(check('oracle', 'incoherence').recovered).toBeNull();
    expect(check('self-conditioning', 'error-rate slope').recovered!).toBeGreaterThan(0);
    expect(check('ensemble', 'variance').ok).toBe(true);
  });

  it('fails a check when a recovered value is off', async () => {
    const doc = await analyzeRun(out, { resamples: 1000 });
    // checkCalibration covers the maze run; the ladder's checks come from its own run.
    expect(checkCalibration(doc).checks.map((c) => c.ok)).toEqual(result.checks.filter((c) => !c.agent.includes('ladder')).map((c) => c.ok));
    const noisy = doc.horizons.find((h) => h.agent === 'noisy')!;
    noisy.q = noisy.q! - 0.15;
    noisy.stepAccuracy = 0.8;
    const biased = doc.horizons.find((h) => h.agent === 'biased')!;
    biased.incoherence = 0.2;
    const failed = checkCalibration(doc).checks.filter((c) => !c.ok).map((c) => `${c.agent}: ${c.check}`);
    expect(failed).toEqual(['noisy: q̂ (per-step pair agreement)', 'noisy: p̂ (step accuracy)', 'biased: incoherence']);
  });
});
