/**
 * metrics.md H4 end to end: an `openai` agent with `logprobs: 4` against a
 * server whose model has a planted distribution over the four actions at
 * each step (its error mass grows with t). The logs must carry π and H_model
 * as planted; `analyze` must give their per-step means and Spearman's ρ
 * between mean H_model(t) and the hazard, checked against a rank correlation
 * computed here; `report` must draw the chart.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import openai from '../../agents/openai.js';
import choice from '../fixtures/choice-env.js';
import { analyzeRun, renderAnalysisTable } from '../../src/analysis/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { createLlmRuntime } from '../../src/llm/index.js';
import { writeReport } from '../../src/report/index.js';
import { cleanup, steps, tempDir } from './helpers.js';
import { argTokens, completion, startChatServer, type ChatServer } from './openai-server.js';

const ACTIONS = ['a', 'b', 'c', 'd'];
/** At step t the model gives the oracle's letter 1 − e(t) and each other letter e(t)/3. */
const err = (t: number) => Math.min(0.6, 0.1 * t);
const plan = (t: number) => ACTIONS.map((a, k) => ({ a, p: k === (t - 1) % 4 ? 1 - err(t) : err(t) / 3 }));
const entropy = (t: number) => -plan(t).reduce((s, x) => s + x.p * Math.log2(x.p), 0);

let server: ChatServer;
beforeAll(async () => {
  server = await startChatServer(null, (r) => {
    const t = r.body.messages.filter((m) => m.role === 'assistant').length + 1;
    const dist = plan(t);
    const u = createHash('sha256').update(JSON.stringify([r.body.seed, r.body.messages])).digest().readUInt32BE(0) / 2 ** 32;
    let acc = 0;
    const pick = dist.find((x) => (acc += x.p) > u) ?? dist[3];
    return completion(r.body.model, [{ args: JSON.stringify({ action: pick.a }), tokens: argTokens(`"${pick.a}"`, dist.map((x) => ({ token: x.a, logprob: Math.log(x.p) }))) }]);
  });
});
afterAll(async () => {
  await server.close();
  cleanup();
});

/** Spearman's ρ by the textbook: average ranks for ties, then Pearson. */
function rho(x: number[], y: number[]): number {
  const rank = (v: number[]) => v.map((a) => v.filter((b) => b < a).length + (v.filter((b) => b === a).length + 1) / 2);
  const rx = rank(x);
  const ry = rank(y);
  const m = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const [mx, my] = [m(rx), m(ry)];
  const cov = rx.reduce((s, a, i) => s + (a - mx) * (ry[i] - my), 0);
  return cov / Math.sqrt(rx.reduce((s, a) => s + (a - mx) ** 2, 0) * ry.reduce((s, a) => s + (a - my) ** 2, 0));
}

describe('model uncertainty (H4)', () => {
  it('logs π and H_model per step, and analyze correlates mean H_model(t) with the hazard', async () => {
    const out = join(tempDir(), 'run');
    const spec = {
      name: 'h4',
      environment: 'choice',
      horizons: [8],
      instances: 1,
      rollouts: 12,
      seed: 3,
      agents: [{ name: 'qwen', kind: 'openai', params: { model: 'm', baseURL: server.url, logprobs: 4, maxRetries: 0 } }],
    };
    const s = await resolveScenario(parseScenario(spec), { environments: { choice }, agents: { openai } }, null);
    await runScenario(s, { out, registry: { environments: { choice }, agents: { openai } }, version: 'test', services: createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity }).services() });

    const lines = steps(out);
    expect(lines).toHaveLength(96);
    for (const l of lines) {
      const p = plan(l.t).find((x) => x.a === l.action)!.p;
      expect(l.info.actionProb).toBeCloseTo(p, 12);
      expect(l.info.modelEntropy).toBeCloseTo(entropy(l.t), 12);
    }

    const doc = await analyzeRun(out, { resamples: 200 });
    expect(doc.modelUncertainty).toHaveLength(1);
    const g = doc.modelUncertainty[0];
    expect(g.steps.map((x) => x.t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const x of g.steps) {
      const at = lines.filter((l) => l.t === x.t);
      expect(x.alive).toBe(at.length);
      expect(x.meanEntropy).toBeCloseTo(entropy(x.t), 12);
      expect(x.meanProb).toBeCloseTo(at.reduce((a, l) => a + plan(l.t).find((y) => y.a === l.action)!.p, 0) / at.length, 12);
    }
    // The hazard comes from the divergence metrics; ρ must be the rank correlation of the two columns.
    const hazard = doc.groups[0].steps.map((x) => x.hazard);
    expect(g.steps.map((x) => x.hazard)).toEqual(hazard);
    const both = g.steps.filter((x) => x.hazard !== null);
    expect(g.points).toBe(both.length);
    expect(g.rho).toBeCloseTo(rho(both.map((x) => x.meanEntropy!), both.map((x) => x.hazard!)), 12);
    expect(g.ci.rho![0]).toBeLessThanOrEqual(g.rho!);
    expect(g.ci.rho![1]).toBeGreaterThanOrEqual(g.rho!);

    // Mean of the planted entropies over t = 1..8 is 1.52 bits.
    expect(renderAnalysisTable(doc, { width: 200 })).toMatch(/\nqwen@H=8: H_model 1\.52 bits; ρ 0: -?[0-9.]+ \[-?[0-9.]+, -?[0-9.]+\]/);
    const report = await writeReport(out);
    expect(existsSync(join(out, 'plots', 'model-entropy.svg'))).toBe(true);
    void report;
  }, 60_000);
});
