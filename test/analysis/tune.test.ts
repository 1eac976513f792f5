/**
 * Horizon search (metrics spec H6): on planted success curves whose
 * crossing is known in closed form, through the real engine on quiz
 * (success = every question right, rate (1−ε)^H), and --write on a real file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRun, searchHorizon, suggestHorizons } from '../../src/analysis/index.js';
import { tuneHorizon } from '../../src/workflows/index.js';
import { loadScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { createRng } from '../../src/core/index.js';
import { wilsonInterval } from '../../src/metrics/index.js';
import { hotmess } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-dir.js';

const base = { target: 0.5, minHorizon: 1, maxHorizon: 4096, valid: () => true, maxRollouts: 400, batch: 8, perProbe: 48 };

describe('horizon search', () => {
  it('Wilson interval by hand: 8/8 and 24/48', () => {
    const z = 1.959964;
    const [lo, hi] = wilsonInterval(8, 8);
    expect(lo).toBeCloseTo(8 / (8 + z * z), 9);
    expect(hi).toBe(1);
    const [a, b] = wilsonInterval(24, 48);
    const half = (z * Math.sqrt(0.25 / 48 + (z * z) / (4 * 48 * 48))) / (1 + (z * z) / 48);
    expect([a, b]).toEqual([expect.closeTo(0.5 - half, 12), expect.closeTo(0.5 + half, 12)]);
  });

  it('a step-shaped success curve is bracketed exactly, two batches of 8 per probe', async () => {
    const probed: number[] = [];
    const r = await searchHorizon({ ...base, probe: async (h, n) => (probed.push(h), { successes: h <= 37 ? n : 0, n }) });
    expect([r.lo!.horizon, r.hi!.horizon]).toEqual([37, 38]);
    expect(r.probes.every((p) => p.n === 16)).toBe(true);
    expect(r.decided).toEqual({ lo: 37, hi: 38 });
    // Doubling 1…64, then bisection on log H between 32 and 64.
    expect([...new Set(probed)].slice(0, 7)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(r.h50).not.toBeNull();
    expect(r.stopped).toBeNull();
  });

  it('a geometric success curve: the bracket holds the closed-form H50 and the budget is respected', async () => {
    const p = 0.98;
    const h50 = Math.log(0.5) / Math.log(p); // 34.3
    const rng = createRng('tune');
    const r = await searchHorizon({
      ...base,
      maxRollouts: 300,
      probe: async (h, n) => {
        let s = 0;
        for (let i = 0; i < n; i++) if (rng.next() < p ** h) s++;
        return { successes: s, n };
      },
    });
    expect(r.rollouts).toBeLessThanOrEqual(300);
    // The decided ends (intervals wholly above / below 0.5) hold the true crossing; the point bracket is inside them.
    expect(r.decided.lo!).toBeLessThanOrEqual(h50);
    expect(r.decided.hi!).toBeGreaterThan(h50);
    expect(r.lo!.horizon).toBeGreaterThanOrEqual(r.decided.lo!);
    expect(r.hi!.horizon).toBeLessThanOrEqual(r.decided.hi!);
    expect(r.hi!.horizon / r.lo!.horizon).toBeLessThan(2);
  });

  it('keeps to horizons the environment accepts (2ⁿ − 1)', async () => {
    const valid = (h: number) => Number.isInteger(Math.log2(h + 1));
    const r = await searchHorizon({ ...base, valid, probe: async (h, n) => ({ successes: h <= 20 ? n : 0, n }) });
    expect(r.probes.every((x) => valid(x.horizon))).toBe(true);
    expect([r.lo!.horizon, r.hi!.horizon]).toEqual([15, 31]);
    // 20·4^{−1, −½, 0, ½, 1} = 5, 10, 20, 40, 80 → the nearest 2ⁿ − 1 (ties downward): 3, 7, 15, 31, 63.
    expect(suggestHorizons(20, valid, 4096)).toEqual([3, 7, 15, 31, 63]);
    expect(suggestHorizons(32, () => true, 4096)).toEqual([8, 16, 32, 64, 128]);
  });
});

describe('scenario tune through the engine', () => {
  const file = join(tempDir(), 'quiz.yaml');
  writeFileSync(file, '# planted: success (1 − ε)^H, H50 = ln 0.5 / ln 0.9 = 6.58\nname: tune-quiz\nenvironment: quiz\nhorizons: [4]\nrollouts: 2\nseed: 7\nagents:\n  - { name: oracle, kind: oracle }\n  - { name: noisy, kind: noisy, params: { epsilon: 0.1 } }\n');

  it('brackets the closed-form H50 of a noisy agent on quiz, in a run directory analyze can read', async () => {
    const out = join(tempDir(), 'tune');
    const r = await tuneHorizon({ scenario: await loadScenario(file, REGISTRY), agent: 'noisy', out, registry: REGISTRY, version: 'test', maxRollouts: 800, perProbe: 160 });
    const h50 = Math.log(0.5) / Math.log(0.9);
    expect(r.decided.lo!).toBeLessThanOrEqual(h50);
    expect(r.decided.hi!).toBeGreaterThan(h50);
    const doc = await analyzeRun(out);
    expect(doc.counts.rollouts).toBe(r.rollouts);
    expect(doc.run.horizons).toEqual(r.probes.map((p) => p.horizon));
    // The analysis's own pass^1 at each probe is the search's success rate.
    for (const p of r.probes) expect(doc.horizons.find((h) => h.horizon === p.horizon)!.passK['1']).toBeCloseTo(p.rate!, 12);
  });

  it('the CLI prints the bracket and --write puts the suggested horizons in the file, comments kept', async () => {
    const out = join(tempDir(), 'tune-cli');
    const res = await hotmess('scenario', 'tune', file, '--agent', 'noisy', '--max-rollouts', '240', '--out', out, '--write');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/bracket: H=\d+: .* above the target; H=\d+: .* below/);
    const suggested = res.stdout.match(/suggested horizons: \[([\d, ]+)\]/)![1];
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# planted: success/);
    expect(text.replace(/\s/g, '')).toContain(`horizons:[${suggested.replace(/\s/g, '')}]`);
    const bad = await hotmess('scenario', 'tune', file, '--agent', 'nobody');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--agent: no agent "nobody" in scenario tune-quiz \(agents: oracle, noisy\)/);
  });
  it('--dry-run prices the worst case of a model-backed agent (every rollout at --max-horizon) and writes nothing', async () => {
    const out = join(tempDir(), 'never');
    const r = await hotmess('scenario', 'tune', 'scenarios/claude-kv-sum.yaml', '--agent', 'haiku', '--dry-run', '--max-rollouts', '100', '--max-horizon', '64', '--out', out, '--json');
    expect(r.status).toBe(0);
    const e = JSON.parse(r.stdout) as { rows: { agent: string; horizon: number; rollouts: number; steps: number }[] };
    expect(e.rows).toEqual([expect.objectContaining({ agent: 'haiku', horizon: 64, rollouts: 100, steps: 6400 })]);
    expect(existsSync(out)).toBe(false);
  });
});
