/**
 * Regression: after `run --resume` completed a run, the replay overview used
 * the analysis.json written before the resume (fewer rollouts) without a
 * word. It must recompute in memory, say why, and leave the file alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAnalysis } from '../../src/tui/index.js';
import { hotmess } from '../helpers/cli.js';
import { makeResumedRun, readLines, setMtime } from './helpers.js';

let dir: string;
let staleCount: number;
/** Finished rollouts in rollouts.jsonl, counted here from the file alone. */
let finished: number;
beforeAll(async () => {
  ({ dir, staleCount } = await makeResumedRun(5));
  finished = readLines(join(dir, 'rollouts.jsonl')).filter((l) => (JSON.parse(l) as { termination: string }).termination !== 'error').length;
});

describe('replay overview on a run resumed after its analysis', () => {
  it('the fixture: analysis.json counts fewer rollouts than the resumed logs hold', () => {
    expect(staleCount).toBeLessThan(finished);
    expect(finished).toBe(8);
  });

  it('recomputes when analysis.json is older than the logs, with a note, without rewriting the file', async () => {
    const file = join(dir, 'analysis.json');
    const before = readFileSync(file, 'utf8');
    const a = await loadAnalysis(dir);
    expect(a.status).toBe('ready');
    if (a.status !== 'ready') return;
    expect(a.doc.counts.rollouts).toBe(finished);
    expect(a.note).toMatch(/analysis\.json is out of date \((rollouts|steps)\.jsonl changed after analysis\.json was written\): recomputed in memory/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('recomputes when the counts disagree even if the logs look older', async () => {
    const past = new Date(Date.UTC(2020, 0, 1));
    setMtime(past, join(dir, 'rollouts.jsonl'), join(dir, 'steps.jsonl'));
    const a = await loadAnalysis(dir);
    expect(a.status === 'ready' && a.doc.counts.rollouts).toBe(finished);
    expect(a.note).toContain(`analysis.json counts ${staleCount} rollouts but rollouts.jsonl holds ${finished}`);
  });

  it('replay --plain prints the note and the recomputed table', async () => {
    const r = await hotmess('replay', dir, '--plain', '--no-index-cache');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('note: analysis.json is out of date');
    // The noisy row's groups×N is the completed run's: 2 instances × 4 rollouts.
    expect(r.stdout).toMatch(/^noisy +4 +2×4 /m);
  });

  it('uses an up-to-date analysis.json as is', async () => {
    const { analyzeRun, writeAnalysis } = await import('../../src/analysis/index.js');
    writeAnalysis(dir, await analyzeRun(dir, { resamples: 20 }));
    const a = await loadAnalysis(dir);
    expect(a.status === 'ready' && a.note).toBeNull();
  });
});
