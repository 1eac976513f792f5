/**
 * The replay overview's cache of analysis.json (RUN/.replay-overview.json):
 * what it gives equals what the full document gives, it is read only while
 * analysis.json keeps its size and mtime, a damaged one is rebuilt, a run
 * read with caches off is never written to, and the staleness check against
 * the logs still applies to a cached overview.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, writeAnalysis, type AnalysisDocument } from '../../src/analysis/index.js';
import { loadAnalysis, OVERVIEW_FILE, overviewRows, ReplayModel, type AnalysisState } from '../../src/tui/index.js';
import { makeMazeRun, setMtime } from './helpers.js';

let dir: string;
let model: ReplayModel;
/** The overview as the full analysis.json gives it, parsed here without the cache's code. */
let fromFile: ReturnType<typeof overviewRows>;

beforeAll(async () => {
  dir = await makeMazeRun();
  writeAnalysis(dir, await analyzeRun(dir, { resamples: 20 }));
  model = await ReplayModel.open(dir, { cache: false });
  fromFile = overviewRows(model.cells, JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as AnalysisDocument);
});

const ready = (a: AnalysisState) => {
  if (a.status !== 'ready') throw new Error(`analysis ${a.status}: ${a.note}`);
  return a;
};
const cacheFile = () => join(dir, OVERVIEW_FILE);

describe('the replay overview cache', () => {
  it('is written on the first full read and then gives the same rows, with no note', async () => {
    expect(existsSync(cacheFile())).toBe(false);
    const first = ready(await loadAnalysis(dir));
    expect(first.note).toBeNull();
    expect(existsSync(cacheFile())).toBe(true);
    const second = ready(await loadAnalysis(dir));
    expect(second.note).toBeNull();
    expect(overviewRows(model.cells, first.doc)).toEqual(fromFile);
    expect(overviewRows(model.cells, second.doc)).toEqual(fromFile);
    // The survival curves are per step, as long as the horizon: a real check that S(t) came through.
    expect(fromFile.every((r) => r.survival.length === r.horizon)).toBe(true);
  });

  it('is what is read while analysis.json is unchanged, and ignored once analysis.json changes', async () => {
    await loadAnalysis(dir);
    // A planted figure in the cache shows through: analysis.json itself was not parsed.
    const cache = JSON.parse(readFileSync(cacheFile(), 'utf8')) as { horizons: { incoherence: number | null }[] };
    cache.horizons[0].incoherence = 0.123;
    writeFileSync(cacheFile(), JSON.stringify(cache));
    expect(ready(await loadAnalysis(dir)).doc.horizons[0].incoherence).toBe(0.123);
    // analysis.json rewritten (new mtime): the cache no longer matches, the file is read and the cache rewritten.
    setMtime(new Date(Date.now() + 2000), join(dir, 'analysis.json'));
    expect(overviewRows(model.cells, ready(await loadAnalysis(dir)).doc)).toEqual(fromFile);
    expect((JSON.parse(readFileSync(cacheFile(), 'utf8')) as { horizons: { incoherence: number | null }[] }).horizons[0].incoherence).toBe(fromFile[0].incoherence);
  });

  it('is rebuilt when damaged, never an error', async () => {
    writeFileSync(cacheFile(), '{"version":');
    const a = ready(await loadAnalysis(dir));
    expect(a.note).toBeNull();
    expect(overviewRows(model.cells, a.doc)).toEqual(fromFile);
    expect(() => JSON.parse(readFileSync(cacheFile(), 'utf8')) as unknown).not.toThrow();
  });

  it('is neither read nor written with caches off', async () => {
    writeFileSync(cacheFile(), 'left alone');
    const a = ready(await loadAnalysis(dir, { cache: false }));
    expect(overviewRows(model.cells, a.doc)).toEqual(fromFile);
    expect(readFileSync(cacheFile(), 'utf8')).toBe('left alone');
  });

  it('still says when the logs changed after analysis.json, with the overview cached', async () => {
    writeFileSync(cacheFile(), 'rebuilt below');
    await loadAnalysis(dir);
    const logs = ['rollouts.jsonl', 'steps.jsonl'].map((f) => join(dir, f));
    setMtime(new Date(Date.now() + 60_000), ...logs);
    try {
      const a = ready(await loadAnalysis(dir));
      expect(a.note).toMatch(/analysis\.json is out of date \((rollouts|steps)\.jsonl changed after analysis\.json was written\)/);
    } finally {
      setMtime(new Date(Date.now() - 60_000), ...logs);
    }
  });
});
