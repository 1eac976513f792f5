/**
 * compare does not cry wolf: two runs of the demo scenario that differ only
 * in their seed (so in their instances and agent noise, not in any agent)
 * report no family beyond noise at the default level (metrics.md H5), over
 * several seed pairs. A planted change of agent does show.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { analyzeRun, compareAnalyses } from '../../src/analysis/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';

const root = tempDir('hotmess-compare-seeds-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const demo = parse(readFileSync('scenarios/demo.yaml', 'utf8')) as Record<string, unknown>;

async function runDemo(seed: number, changes: Record<string, unknown> = {}) {
  const dir = join(root, `demo-${seed}-${Object.keys(changes).length}`);
  const s = await resolveScenario(parseScenario({ ...demo, seed, ...changes }), REGISTRY, null);
  await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
  return { dir, doc: await analyzeRun(dir) };
}

describe('compare of one scenario at two seeds', () => {
  it.each([
    [1, 2],
    [3, 4],
    [5, 6],
  ])('seeds %i and %i: no family differs beyond noise', async (sa, sb) => {
    const [a, b] = [await runDemo(sa), await runDemo(sb)];
    const c = compareAnalyses(a.doc, b.doc, { a: a.dir, b: b.dir });
    expect(c.summary.families).toBeGreaterThan(20);
    expect(c.families.filter((f) => f.differs).map((f) => f.family)).toEqual([]);
  }, 60_000);

  it('finds a planted change: a noisier agent under the same name', async () => {
    const agents = (demo.agents as { name: string; kind: string; params?: Record<string, unknown> }[]).map((a) => (a.name === 'noisy-5' ? { ...a, params: { epsilon: 0.3 } } : a));
    const [a, b] = [await runDemo(7), await runDemo(8, { agents })];
    const c = compareAnalyses(a.doc, b.doc, { a: a.dir, b: b.dir });
    const differ = c.families.filter((f) => f.differs);
    expect(differ.length).toBeGreaterThan(0);
    expect(differ.every((f) => f.agent === 'noisy-5')).toBe(true);
  }, 60_000);
});
