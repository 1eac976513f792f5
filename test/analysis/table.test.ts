import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun, fmt, fmtEstimate, fmtInterval, fmtShare, renderAnalysisTable } from '../../src/analysis/index.js';
import { makeRun, removeRuns } from './fixture.js';

afterAll(removeRuns);

describe('the analysis table', () => {
  it('formats numbers and nulls', () => {
    expect(fmt(null)).toBe('—');
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(1234567)).toBe('1.23e+6');
    expect(fmt(0)).toBe('0');
  });
  it('with --wide, has one row per agent × horizon with every column', async () => {
    const dir = makeRun([
      { index: 0, actions: ['N', 'N'], oracle: ['N', 'N'], outcome: { kind: 'squared', value: 1, target: 1 } },
      { index: 1, actions: ['N', 'E'], oracle: ['N', 'N'], outcome: { kind: 'squared', value: 3, target: 1 } },
      { agent: 'b', index: 0, actions: ['N'], outcome: { kind: 'squared', value: 1, target: 1 } },
    ]);
    const text = renderAnalysisTable(await analyzeRun(dir, { resamples: 10 }), { wide: true });
    for (const h of ['incoherence [95% CI]', 'bias²', 'variance', 'pass^1…pass^k', 'p̂', 'H50 obs', 'H50 pred', 'q̂', 't½', 'growth b', 'hazard slope']) expect(text).toContain(h);
    const rows = text.split('\n').filter((l) => /^(a|b) /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^a\s+10\s+1×2\s+0.5\s+1\s+1\s/); // mean 2 against 1: bias² 1, variance 1
  });
});

describe('regression: table rounding contradicted itself', () => {
  it('never prints a value below 1 as 1 (p̂ = 0.99977 printed "1" next to H50 pred 3040)', () => {
    expect(fmt(0.99977)).toBe('0.9998');
    expect(fmt(-0.99977)).toBe('-0.9998');
    expect(fmt(0.9999999)).toBe('0.9999999');
    expect(fmt(1 - Number.EPSILON)).not.toBe('1');
    expect(fmt(0.9994)).toBe('0.999');
    expect(fmt(1)).toBe('1');
  });
  it('never prints a non-zero value as 0', () => {
    expect(fmt(4e-7)).toBe('4.00e-7');
    expect(fmt(-1e-33)).toBe('-1.00e-33');
    expect(fmtShare(0.0004)).toBe('4e-4');
    expect(fmtShare(0)).toBe('0.00');
    expect(fmtShare(0.996)).toBe('0.996');
    expect(fmtShare(1)).toBe('1.00');
    expect(fmtShare(0.5)).toBe('0.50');
    expect(fmtShare(null)).toBe('—');
  });
  it('prints an estimate and its interval in one precision ("0.967 [0.97, 0.97]" before)', () => {
    expect(fmtEstimate(0.967, [0.9665, 0.9674])).toBe('0.967 [0.9665, 0.9674]');
    expect(fmtEstimate(0.714, [0.6, 0.8])).toBe('0.714 [0.6, 0.8]');
    expect(fmtEstimate(0.5, [0.5, 0.5])).toBe('0.5 [0.5, 0.5]');
    expect(fmtEstimate(0.5, null)).toBe('0.5');
    expect(fmtEstimate(null, [0, 1])).toBe('—');
    expect(fmtInterval([0.123456, 0.654321])).toBe('[0.123, 0.654]');
  });
});
