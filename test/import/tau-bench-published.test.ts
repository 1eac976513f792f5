/**
 * Importing the shipped τ-bench file (gpt-4o, airline, 50 tasks × 4 trials)
 * reproduces the pass^k the τ-bench paper published: 0.420, 0.273, 0.220,
 * 0.200. Skips, saying so, when ../shared/data is absent.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, hashString } from '../../src/core/index.js';
import { FILES, ManifestSchema, RolloutRecordSchema } from '../../src/log/index.js';
import { importTauBench } from '../../src/import/index.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { HAVE_TAU, TAU_FILE, cleanup, passK, readRun, tempDir, type RunFiles } from './helpers.js';

if (!HAVE_TAU) console.warn(`[test/import] SKIPPED the published-figures test: ${TAU_FILE} is absent`);

describe.skipIf(!HAVE_TAU)('import tau-bench: the shipped gpt-4o airline file', () => {
  let dir: string;
  let run: RunFiles;
  let summary: Awaited<ReturnType<typeof importTauBench>>;

  beforeAll(async () => {
    dir = `${tempDir()}/gpt-4o-airline`;
    summary = await importTauBench(TAU_FILE, { out: dir, version: '0.0.0-test' });
    run = readRun(dir);
  });
  afterAll(cleanup);

  it('reproduces the published pass^1..4 to 3 decimals', () => {
    const published = [0.42, 0.273, 0.22, 0.2];
    published.forEach((p, i) => expect(passK(run.rollouts, i + 1)).toBeCloseTo(p, 3));
  });

  it('gives the published pass^k through the analyzer too, with divergence curves for the one horizon', async () => {
    const doc = await analyzeRun(dir, { resamples: 20 });
    expect(doc.horizons).toHaveLength(1);
    const h = doc.horizons[0];
    expect(h).toMatchObject({ agent: 'gpt-4o', horizon: 30, groups: 50, rollouts: 200 });
    [0.42, 0.273, 0.22, 0.2].forEach((p, i) => expect(h.passK[String(i + 1)]).toBeCloseTo(p, 3));
    expect(doc.groups).toHaveLength(50);
    // Every group starts together (S(0) = 1) and survival never rises.
    for (const g of doc.groups) {
      const s = g.steps.map((x) => x.survival ?? 0);
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    }
  });

  it('writes a finished manifest for tau-bench-airline with one agent and one horizon', () => {
    const m = ManifestSchema.parse(run.manifest);
    expect(m).toMatchObject({
      schema: 'hotmess.run/1',
      status: 'finished',
      name: 'gpt-4o-airline',
      environment: { name: 'tau-bench-airline', outcomeKind: 'coverage', measureKind: null, hasFeatures: false },
      agents: [{ name: 'gpt-4o', kind: 'imported' }],
      // The longest trajectory: τ-bench's 30-turn limit.
      horizons: [30],
      instances: 50,
      rollouts: 4,
      expectedRollouts: 200,
    });
    expect(summary).toMatchObject({ groups: 50, rollouts: 200, horizon: 30, terminations: { terminated: 195, truncated: 5 } });
  });

  it('writes one rollout per trial, ids agent:horizon:task:trial, coverage outcome from the reward', () => {
    expect(run.rollouts).toHaveLength(200);
    for (const r of run.rollouts) {
      RolloutRecordSchema.parse(r);
      expect(r.rollout).toBe(`gpt-4o:30:${r.instance}:${r.index}`);
      expect(r.outcome.target).toEqual([1]);
      expect(r.outcome.success).toBe(r.outcome.value[0] === 1);
    }
    // 84 of the 200 trials earned reward 1 (0.42 × 200).
    expect(run.rollouts.filter((r) => r.outcome.success)).toHaveLength(84);
    const tasks = new Set(run.rollouts.map((r) => r.instance));
    expect(tasks.size).toBe(50);
  });

  it('marks the five trials cut off at 30 turns without a stop or transfer as truncated', () => {
    const truncated = run.rollouts.filter((r) => r.termination === 'truncated');
    expect(truncated).toHaveLength(5);
    for (const r of truncated) expect(r).toMatchObject({ length: 30, info: { end: 'max-steps' } });
    const ends = new Set(run.rollouts.filter((r) => r.termination === 'terminated').map((r) => r.info.end));
    expect(ends).toEqual(new Set(['user-stop', 'transfer']));
  });

  it('writes one step per assistant turn, t from 1, matching each rollout length', () => {
    // 2,454 assistant messages in the file, counted by jq: [.[].traj[] | select(.role=="assistant")] | length
    expect(run.steps).toHaveLength(2454);
    const byRollout = new Map<string, number[]>();
    for (const s of run.steps) byRollout.set(s.rollout, [...(byRollout.get(s.rollout) ?? []), s.t]);
    for (const r of run.rollouts) expect(byRollout.get(r.rollout) ?? []).toEqual(Array.from({ length: r.length }, (_, i) => i + 1));
  });

  it('logs tool calls as canonical {tool, args}, messages as {respond: true} with text, observations by hash', () => {
    let tools = 0;
    let responds = 0;
    for (const s of run.steps) {
      expect(s.obs).toBe(hashString(s.info.observation));
      if ('respond' in s.action) {
        expect(s.action).toEqual({ respond: true });
        expect(typeof s.text).toBe('string');
        responds++;
      } else {
        expect(Object.keys(s.action)).toEqual(['args', 'tool']);
        expect(JSON.stringify(s.action)).toBe(canonicalJson(s.action));
        tools++;
      }
    }
    // 1,164 assistant messages carry tool_calls, 1,290 do not.
    expect({ tools, responds }).toEqual({ tools: 1164, responds: 1290 });
    const first = run.steps.find((s) => s.rollout === 'gpt-4o:30:0:0' && s.t === 3)!;
    expect(first.action).toEqual({ tool: 'get_user_details', args: { user_id: 'mia_li_3668' } });
  });

  it('leaves no temporary directory next to the output', () => {
    expect(readdirSync(dirname(dir))).toEqual(['gpt-4o-airline']);
    expect(readdirSync(dir).sort()).toEqual([FILES.manifest, FILES.rollouts, FILES.steps].sort());
  });
});
