/**
 * The `local` agent end to end: a tiny llama-architecture GGUF with random
 * weights is written at test time (test/helpers/gguf-writer.ts), loaded by
 * node-llama-cpp, and driven through the engine. One thread per context:
 * the tests share two cores with other work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionKey, checkAction, createRng } from '../../src/core/index.js';
import { forkRun, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { RolloutRecordSchema, readManifest } from '../../src/log/index.js';
import { actionTool } from '../../src/llm/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { ENVIRONMENTS } from '../../environments/index.js';
import local, { disposeLocalModels } from '../../agents/local.js';
import { grammarFor } from '../../src/llm/local/index.js';
import { grammarSchema } from '../../src/llm/local/index.js';
import { replyText } from '../../src/llm/local/index.js';
import { writeTinyLlama } from '../helpers/gguf-writer.js';
import { normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';

interface Step {
  rollout: string;
  t: number;
  action: unknown;
  invalid?: string;
  replayed?: boolean;
  info?: { text: string; tokensIn: number; tokensOut: number; seed: number; stopReason: string };
  timing?: { latencyMs: number };
}

const LONG = { timeout: 180_000 };
let model = '';

beforeAll(() => {
  model = writeTinyLlama(join(tempDir('hotmess-gguf-'), 'tiny.gguf'), { seed: 'hotmess-local-test', embd: 32, layers: 1, heads: 2, context: 2048 });
});
afterAll(() => disposeLocalModels());

const scenario = (environment: string, horizon: number, rollouts: number, params: Record<string, unknown> = {}) => ({
  name: `local-${environment}`,
  environment,
  params,
  horizons: [horizon],
  instances: 1,
  rollouts,
  seed: 17,
  agents: [{ name: 'tiny', kind: 'local', params: { model, threads: 1, contextSize: 2048, maxTokens: 40, history: 3 } }],
});

async function run(spec: ReturnType<typeof scenario>, out: string) {
  const s = await resolveScenario(parseScenario(spec), REGISTRY, null);
  return runScenario(s, { out, registry: REGISTRY, version: 'test' });
}

const stepsOf = (dir: string) => readJsonlFile<Step>(join(dir, 'steps.jsonl'));

function sequences(steps: Step[]): Map<string, unknown[]> {
  const m = new Map<string, Step[]>();
  for (const s of steps) m.set(s.rollout, [...(m.get(s.rollout) ?? []), s]);
  return new Map([...m].map(([id, v]) => [id, v.sort((a, b) => a.t - b.t).map((s) => s.action)]));
}

describe('local agent (node-llama-cpp, tiny random GGUF)', () => {
  it('runs maze through the engine: grammar-legal actions, a well-formed run directory, logged tokens and text', LONG, async () => {
    const dir = join(tempDir('hotmess-local-'), 'run');
    const summary = await run(scenario('maze', 6, 3), dir);
    expect(summary).toMatchObject({ status: 'finished', ran: 3, terminations: { error: 0 } });

    const m = readManifest(dir);
    expect(m).toMatchObject({ status: 'finished', expectedRollouts: 3, agents: [{ name: 'tiny', kind: 'local' }] });
    const rollouts = readJsonlFile(join(dir, 'rollouts.jsonl')).map((r) => RolloutRecordSchema.parse(r));
    expect(rollouts).toHaveLength(3);
    const steps = stepsOf(dir);
    expect(steps).toHaveLength(rollouts.reduce((n, r) => n + r.length, 0));
    for (const r of rollouts) {
      expect(r.termination).not.toBe('error');
      const own = steps.filter((s) => s.rollout === r.rollout).map((s) => s.t);
      expect(own).toEqual(Array.from({ length: r.length }, (_, i) => i + 1));
      expect(r.info).toMatchObject({ calls: r.length, invalidReplies: 0 });
    }
    for (const s of steps) {
      // The grammar admits only the four moves; walls are the environment's business (`illegal`).
      expect(['N', 'E', 'S', 'W']).toContain(s.action);
      expect(s.invalid).toBeUndefined();
      expect(JSON.parse(s.info!.text)).toEqual({ action: s.action });
      expect(s.info!.tokensOut).toBeGreaterThan(0);
      expect(Number.isInteger(s.info!.seed)).toBe(true);
      expect(s.timing!.latencyMs).toBeGreaterThanOrEqual(0);
    }
    // Step 1 evaluates the whole prompt; later steps reuse the context's prefix.
    expect(steps.find((s) => s.t === 1)!.info!.tokensIn).toBeGreaterThan(100);
  });

  it('is reproducible from the seed: same scenario, identical steps; rollouts of a group differ', LONG, async () => {
    const a = join(tempDir('hotmess-local-'), 'a');
    const b = join(tempDir('hotmess-local-'), 'b');
    const spec = scenario('maze', 6, 3);
    await run(spec, a);
    await run(spec, b);
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(b, f))).toEqual(normalisedLines(join(a, f)));
    const seqs = [...sequences(stepsOf(a)).values()].map((v) => JSON.stringify(v));
    expect(new Set(seqs).size).toBeGreaterThan(1);
  });

  it('answers a numeric action space (kv-sum): integers, and replies the grammar cannot bound logged invalid, never a crash', LONG, async () => {
    const dir = join(tempDir('hotmess-local-'), 'kv');
    const summary = await run(scenario('kv-sum', 6, 3, { dictSize: 6 }), dir);
    expect(summary.terminations.error).toBe(0);
    const steps = stepsOf(dir);
    expect(steps).toHaveLength(18);
    // A random model writes integers of any length: some run past maxTokens (or past the safe
    // range), which a grammar cannot forbid; those steps are logged invalid with the reason.
    let invalid = 0;
    for (const s of steps) {
      if (s.invalid === undefined) {
        expect(Number.isSafeInteger(s.action)).toBe(true);
        expect((s.info as { invalidReply?: string }).invalidReply).toBeUndefined();
      } else {
        invalid++;
        expect((s.info as { invalidReply?: string }).invalidReply).toBe(s.invalid);
      }
    }
    const rollouts = readJsonlFile<{ info: { invalidReplies: number } }>(join(dir, 'rollouts.jsonl'));
    expect(rollouts.reduce((n, r) => n + r.info.invalidReplies, 0)).toBe(invalid);
    expect(steps.length - invalid).toBeGreaterThan(0);
  });

  it('logs a reply cut at maxTokens as an invalid no-op step', LONG, async () => {
    const dir = join(tempDir('hotmess-local-'), 'cut');
    const spec = scenario('maze', 3, 1);
    spec.agents[0].params.maxTokens = 4; // '{"action"' alone is longer
    const summary = await run(spec, dir);
    expect(summary.terminations.error).toBe(0);
    const steps = readJsonlFile<Step & { patches: unknown[] }>(join(dir, 'steps.jsonl'));
    expect(steps).toHaveLength(3);
    for (const s of steps) {
      expect(s).toMatchObject({ action: null, invalid: 'the reply was cut at maxTokens before its JSON closed', patches: [] });
      expect(s.info).toMatchObject({ stopReason: 'maxTokens', tokensOut: 4, invalidReply: 'the reply was cut at maxTokens before its JSON closed' });
    }
    expect(readJsonlFile<{ info: unknown }>(join(dir, 'rollouts.jsonl'))[0].info).toMatchObject({ calls: 3, invalidReplies: 3 });
  });

  it('forks a local rollout: the prefix is replayed without model calls, then the model continues from it', LONG, async () => {
    const src = join(tempDir('hotmess-local-'), 'src');
    await run(scenario('maze', 6, 1), src);
    const out = join(tempDir('hotmess-local-'), 'fork');
    const summary = await forkRun({ run: src, rollout: 'tiny:6:0:0', step: 3, samples: 3, out, registry: REGISTRY, version: 'test' });
    expect(summary).toMatchObject({ status: 'finished', ran: 3, terminations: { error: 0 } });
    const source = sequences(stepsOf(src)).get('tiny:6:0:0')!;
    const steps = stepsOf(out);
    for (const [, actions] of sequences(steps)) expect(actions.slice(0, 3)).toEqual(source.slice(0, 3));
    for (const s of steps) {
      if (s.t <= 3) {
        expect(s.replayed).toBe(true);
        expect(s.info).toBeUndefined(); // no model call
      } else {
        expect(s.replayed).toBeUndefined();
        expect(['N', 'E', 'S', 'W']).toContain(s.action);
      }
    }
    // The first model call of a continuation reads the replayed history: a longer prompt than step 1's.
    const first = steps.find((s) => s.t === 4)!;
    expect(first.info!.tokensIn).toBeGreaterThan(stepsOf(src).find((s) => s.t === 1)!.info!.tokensIn);
  });

  it('compiles a grammar for every registered environment that accepts the oracle action', LONG, async () => {
    for (const [name, env] of Object.entries(ENVIRONMENTS)) {
      const params = env.params.parse({});
      const horizon = [1, 2, 3, 4, 5, 6, 7, 8].find((h) => !env.checkHorizon?.(h, params))!;
      const state = env.reset(params, horizon, createRng(`grammar:${name}`));
      const space = env.actions(state);
      const grammar = await grammarFor(grammarSchema(actionTool(space).inputSchema));
      const oracle = env.oracle(state);
      const parsed = grammar.parse(replyText(oracle)) as { action: unknown };
      expect(actionKey(parsed.action), name).toBe(actionKey(oracle));
      expect(checkAction(space, parsed.action), name).toBeNull();
    }
  });

  it('reports a missing model file before any rollout, naming the absolute path', () => {
    const p = local.params.parse({ model: 'no/such/model.gguf' });
    expect(local.llm.preflight(p, {})).toMatch(/^model file not found: \/.*no\/such\/model\.gguf \(a relative path resolves against the current directory\)$/);
    expect(local.llm.preflight(local.params.parse({ model }), {})).toBeNull();
  });
});

describe('grammarSchema', () => {
  it('turns constants of objects into exact object schemas, anyOf into oneOf, and drops bounds', () => {
    expect(grammarSchema({ anyOf: [{ const: { to: 'b', n: [1, 2] } }, { const: 'skip' }] })).toEqual({
      oneOf: [
        {
          type: 'object',
          properties: { n: { type: 'array', prefixItems: [{ const: 1 }, { const: 2 }], minItems: 2, maxItems: 2 }, to: { const: 'b' } },
          required: ['n', 'to'],
          additionalProperties: false,
        },
        { const: 'skip' },
      ],
    });
    expect(grammarSchema({ type: 'integer', minimum: 0, maximum: 9 })).toEqual({ type: 'integer' });
    expect(grammarSchema({ type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 })).toEqual({ type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 });
    expect(grammarSchema({ enum: ['N', 'E'] })).toEqual({ enum: ['N', 'E'] });
  });

  it('keeps the tool schema of a discrete space exact', () => {
    const tool = actionTool({ kind: 'discrete', actions: ['N', 'E', 'S', 'W'] });
    expect(grammarSchema(tool.inputSchema)).toEqual({ type: 'object', properties: { action: { enum: ['N', 'E', 'S', 'W'] } }, required: ['action'], additionalProperties: false });
  });
});

describe('tiny GGUF writer', () => {
  it('is a GGUF v3 file, byte-identical for the same seed', () => {
    const dir = tempDir('hotmess-gguf-');
    const a = readFileSync(writeTinyLlama(join(dir, 'a.gguf'), { seed: 's' }));
    const b = readFileSync(writeTinyLlama(join(dir, 'b.gguf'), { seed: 's' }));
    const c = readFileSync(writeTinyLlama(join(dir, 'c.gguf'), { seed: 't' }));
    expect(a.subarray(0, 4).toString('ascii')).toBe('GGUF');
    expect(a.readUInt32LE(4)).toBe(3);
    expect(Number(a.readBigUInt64LE(8))).toBe(1 + 9 + 2); // embeddings, one layer of 9, output norm and matrix
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.length).toBe(c.length);
  });
});
