/**
 * Cost: the price table, per-call pricing (tiers, overrides), `--max-cost`
 * stopping a run cleanly and resuming, RUN/cost.json, and `--dry-run`
 * estimates computed by hand from the documented method.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/commands/run.js';
import { dryRun, prepareLlmRun } from '../../src/workflows/index.js';
import { formatTotals } from '../../src/cli/llm-flags.js';
import { runScenario } from '../../src/engine/index.js';
import { actionTool, approxTokens, callTokens, costUsd, estimateRun, priceFor, rolloutCost, rolloutTokens, systemBlocks, type CallShape } from '../../src/llm/index.js';
import kvSum from '../../environments/kv-sum.js';
import { canonicalJson } from '../../src/core/index.js';
import { instanceRng } from '../../src/engine/index.js';
import { REGISTRY, resolve, rollouts, run, scenarioSpec, steps, tempDir, useMessagesServer } from './helpers.js';
import { kvSumAnswer, message, type Handler, type MessagesServer } from './server.js';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

/** One call with the test server's default usage on Haiku 4.5: (1000·1 + 100·5 + 500·1.25 + 2000·0.1) / 1e6. */
const CALL_USD = 0.002325;

describe('price table', () => {
  it('finds models by id or dated id, and never by a loose prefix', () => {
    expect(priceFor('claude-opus-4-20250514')).toMatchObject({ input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 });
    expect(priceFor('claude-opus-4-1')).toMatchObject({ input: 15 });
    expect(priceFor('claude-sonnet-5-5')).toMatchObject({ input: 2, output: 10, cacheRead: 0.1, cacheWrite: 2.5, cacheWrite1h: 4 });
    expect(priceFor('claude-sonnet-5-7')).toBeNull();
    expect(priceFor('gpt-x')).toBeNull();
  });

  it('applies an override, deriving cache rates from its input rate', () => {
    expect(priceFor('claude-unknown-9', { input: 2, output: 8 })).toEqual({ input: 2, output: 8, cacheWrite: 2.5, cacheWrite1h: 4, cacheRead: 0.2, minCacheTokens: 4096 });
    expect(priceFor('claude-unknown-9', { input: 2 })).toBeNull();
    expect(priceFor('claude-haiku-4-5', { output: 6 })).toMatchObject({ input: 1, output: 6, cacheRead: 0.1 });
  });

  it('prices long prompts at the long tier on every token of the call', () => {
    const p = priceFor('claude-haiku-5-5')!;
    // 50k fresh + 1k out, short tier: 50000·0.10 + 1000·0.50 = 5500 µ$.
    expect(costUsd(p, { input: 50_000, output: 1000, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 })).toBe(0.0055);
    // 90k fresh + 20k cache read = 110k prompt, long tier: 90000·0.5 + 1000·2.5 + 20000·0.05 = 48500 µ$.
    expect(costUsd(p, { input: 90_000, output: 1000, cacheRead: 20_000, cacheWrite: 0, cacheWrite1h: 0 })).toBe(0.0485);
  });

  it('prices one-hour cache writes at the one-hour rate', () => {
    const p = priceFor('claude-haiku-4-5')!;
    // 1000 written, 400 of them for an hour: 600·1.25 + 400·2 = 1550 µ$.
    expect(costUsd(p, { input: 0, output: 0, cacheRead: 0, cacheWrite: 1000, cacheWrite1h: 400 })).toBe(0.00155);
  });
});

describe('cost in the logs', () => {
  it('sums per step, per rollout and per run; unknown models cost null, not zero', async () => {
    const out = join(tempDir(), 'run');
    const { runtime } = await run(scenarioSpec(server.url, { horizons: [2], rollouts: 2 }), out);
    expect(steps(out).map((s) => s.info.costUsd)).toEqual([CALL_USD, CALL_USD, CALL_USD, CALL_USD]);
    expect(rollouts(out).map((r) => r.info.costUsd)).toEqual([2 * CALL_USD, 2 * CALL_USD]);
    expect(runtime.meter.spentUsd).toBe(4 * CALL_USD);

    const out2 = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: { model: 'claude-next-1' } }), out2);
    expect(steps(out2)[0].info.costUsd).toBeNull();
    expect(rollouts(out2)[0].info.costUsd).toBeNull();
    const out3 = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { horizons: [1], rollouts: 1, agent: { model: 'claude-next-1', price: { input: 2, output: 10 } } }), out3);
    // 1000·2 + 100·10 + 500·2.5 + 2000·0.2 = 4650 µ$.
    expect(steps(out3)[0].info.costUsd).toBe(0.00465);
  });

  it('--max-cost stops starting rollouts once spent, and the run resumes', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 3 })));
    const out = join(dir, 'run');
    // Each rollout costs 2 calls = $0.00465; the budget is passed after the second.
    const first = await runCommand(file, { out, maxCost: '0.005', json: true });
    expect(first.status).toBe('interrupted');
    expect(first.ran).toBe(2);
    expect(first.stoppedBecause).toBe('cost budget of $0.005 reached');
    expect(first.llm).toMatchObject({ paidCalls: 4, spentUsd: 4 * CALL_USD });
    const costFile = () => JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(costFile().total).toMatchObject({ calls: 4, costUsd: 0.0093, inputTokens: 4000 });

    const second = await runCommand(file, { out, resume: true, json: true });
    expect(second.status).toBe('finished');
    expect(second.ran).toBe(1);
    expect(rollouts(out)).toHaveLength(3);
    expect(costFile().total).toMatchObject({ calls: 6, costUsd: 0.01395 });
    expect(costFile().invocations).toHaveLength(2);
  });

  it('a --max-cost stop prints one spend figure: the final one, not the one in-flight rollouts made stale', async () => {
    // Two rollouts in flight; the second one's first reply is held until the budget check has stopped the run,
    // so the spend goes on rising after the stop (as it does with real latencies).
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    server.handler = async (r) => {
      if (r.n === 2) await released;
      return right(r);
    };
    const s = await resolve(scenarioSpec(server.url, { horizons: [2], rollouts: 3, concurrency: 2 }));
    const out = join(tempDir(), 'run');
    const llm = prepareLlmRun(s, out, { maxCost: 0.001 });
    const shouldStop = () => {
      const why = llm.shouldStop!();
      if (why) release();
      return why;
    };
    const summary = await runScenario(s, { out, registry: REGISTRY, version: 'test', services: llm.services, shouldStop });
    const totals = llm.finish(summary)!;
    expect(summary.status).toBe('interrupted');
    expect(totals).toMatchObject({ paidCalls: 4, spentUsd: 4 * CALL_USD });
    // Everything the CLI prints about the stop: stderr's reason and stdout's totals.
    const printed = `${summary.stoppedBecause}\n${formatTotals(totals)}`;
    const figures = [...printed.matchAll(/\$(\d+\.\d+)/g)].map((m) => m[1]).filter((f) => f !== '0.001');
    expect(figures.length).toBeGreaterThan(0);
    expect(new Set(figures)).toEqual(new Set([(4 * CALL_USD).toFixed(4)]));
    expect(JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8')).total.costUsd).toBe(4 * CALL_USD);
  });

  it('an unpriced model’s spend is unknown (null), not $0, in cost.json and in what the run prints', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [1], rollouts: 2, agent: { model: 'claude-next-1' } })));
    const out = join(dir, 'run');
    const result = await runCommand(file, { out, json: true });
    expect(result.llm).toMatchObject({ paidCalls: 2, spentUsd: null, unpricedCalls: 2 });
    const text = formatTotals(result.llm!);
    expect(text).toContain('spent unknown');
    expect(text).not.toMatch(/\$0\.0000/);
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
    expect(cost.total).toMatchObject({ calls: 2, unpricedCalls: 2, costUsd: null });
    expect(cost.invocations[0]).toMatchObject({ calls: 2, costUsd: null });
  });

  it('--max-cost refuses a model without a price', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { agent: { model: 'claude-next-1' } })));
    await expect(runCommand(file, { out: join(dir, 'run'), maxCost: '1' })).rejects.toThrow('--max-cost: model "claude-next-1" of agent "claude" has no price; give the agent a `price` param (USD per million tokens)');
    expect(existsSync(join(dir, 'run'))).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('dry-run estimates', () => {
  const haiku = priceFor('claude-haiku-4-5')!; // min cacheable 4096
  const shape = (o: Partial<CallShape>): CallShape => ({ model: 'claude-haiku-4-5', price: haiku, prefixTokens: 5000, observationTokens: 30, turnTokens: 80, outputTokens: 60, history: 'full', promptCaching: true, ...o });

  it('full history, cached: each step reads the last prompt and writes the new turn', () => {
    // t1 writes 5030; t2 reads 5030, writes 80; t3 reads 5110, writes 80.
    expect(rolloutTokens(shape({}), 3)).toEqual({ input: 0, output: 180, cacheRead: 10_140, cacheWrite: 5190, cacheWrite1h: 0 });
    // 10140·0.1 + 5190·1.25 + 180·5 = 8401.5 µ$.
    expect(rolloutCost(shape({}), 3)).toBe(0.0084015);
  });

  it('below the minimum cacheable length nothing is cached until the prompt grows past it', () => {
    expect(rolloutTokens(shape({ prefixTokens: 1000 }), 3)).toEqual({ input: 3330, output: 180, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 });
    // 4030 fresh; then 4110 written; then 4110 read, 80 written.
    expect(callTokens(shape({ prefixTokens: 4000 }), 1)).toMatchObject({ input: 4030, cacheRead: 0, cacheWrite: 0 });
    expect(callTokens(shape({ prefixTokens: 4000 }), 2)).toMatchObject({ input: 0, cacheRead: 0, cacheWrite: 4110 });
    expect(callTokens(shape({ prefixTokens: 4000 }), 3)).toMatchObject({ input: 0, cacheRead: 4110, cacheWrite: 80 });
    expect(rolloutCost(shape({ prefixTokens: 4000 }), 3)).toBe(0.0105785);
  });

  it('a window caches the prefix only; no caching bills everything as input', () => {
    // t1: write 5000, 30 fresh; t2, t3: read 5000, 110 fresh.
    expect(rolloutTokens(shape({ history: 1 }), 3)).toEqual({ input: 250, output: 180, cacheRead: 10_000, cacheWrite: 5000, cacheWrite1h: 0 });
    expect(rolloutCost(shape({ history: 1 }), 3)).toBe(0.0084);
    expect(rolloutTokens(shape({ promptCaching: false }), 3)).toEqual({ input: 15_330, output: 180, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 });
  });

  it('measures the scenario’s real first prompt and makes no call', async () => {
    const spec = scenarioSpec(server.url, { horizons: [2, 5], instances: 3, rollouts: 4, params: { dictSize: 16, keysPerStep: 2 } });
    const s = await resolve(spec);
    const e = dryRun(s);
    expect(server.requests).toHaveLength(0);
    // Recompute the shape from the documented method with the instance-0 texts.
    for (const [i, h] of [2, 5].entries()) {
      const state = kvSum.reset(s.envParams as never, h, instanceRng(11, h, 0));
      const obs = approxTokens(kvSum.observe(state).text);
      const prefix = 350 + approxTokens(canonicalJson(actionTool(kvSum.actions(state)))) + approxTokens(systemBlocks('kv-sum', undefined, kvSum.instructions!(state)).join('\n\n'));
      let input = 0;
      for (let t = 1; t <= h; t++) input += prefix + (t - 1) * (obs + 50) + obs; // below 4096: all fresh input
      expect(e.rows[i]).toMatchObject({ agent: 'claude', model: 'claude-haiku-4-5', horizon: h, rollouts: 12, steps: 12 * h });
      expect(e.rows[i].tokens).toEqual({ input: 12 * input, output: 12 * 60 * h, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 });
      expect(e.rows[i].costUsd).toBeCloseTo((12 * input * 1 + 12 * 60 * h * 5) / 1e6, 9);
    }
    expect(e.totalUsd).toBeCloseTo(e.rows[0].costUsd! + e.rows[1].costUsd!, 9);
    expect(estimateRun({ env: s.env, envParams: s.envParams, instance0: (h) => instanceRng(11, h, 0), agents: [], horizons: [2], instances: 1, rollouts: 1 }).rows).toEqual([]);
  });
});
