import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun, fmt, renderAnalysisTable } from '../../src/analysis/index.js';
import { makeRun, removeRuns } from './fixture.js';

afterAll(removeRuns);

describe('the analysis table', () => {
  it('formats numbers and nulls', () => {
    expect(fmt(null)).toBe('—');
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(1234567)).toBe('1.23e+6');
    expect(fmt(0)).toBe('0');
  });
  it('has one row per agent × horizon with the issue’s columns', async () => {
    const dir = makeRun([
      { index: 0, actions: ['N', 'N'], oracle: ['N', 'N'], outcome: { kind: 'squared', value: 1, target: 1 } },
      { index: 1, actions: ['N', 'E'], oracle: ['N', 'N'], outcome: { kind: 'squared', value: 3, target: 1 } },
      { agent: 'b', index: 0, actions: ['N'], outcome: { kind: 'squared', value: 1, target: 1 } },
    ]);
    const text = renderAnalysisTable(await analyzeRun(dir, { resamples: 10 }));
    for (const h of ['incoherence [95% CI]', 'bias²', 'variance', 'pass^1…pass^k', 'p̂', 'H50 obs', 'H50 pred', 'q̂', 't½', 'growth b', 'hazard slope']) expect(text).toContain(h);
    const rows = text.split('\n').filter((l) => /^(a|b) /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^a\s+10\s+1×2\s+0.5\s+1\s+1\s/); // mean 2 against 1: bias² 1, variance 1
  });
});
