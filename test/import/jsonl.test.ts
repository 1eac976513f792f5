/**
 * The generic JSONL import: the documented example imports as documented,
 * survival on a small synthetic import matches values worked out by hand,
 * and the optional fields land where the run-directory format puts them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashString, hashValue } from '../../src/core/index.js';
import { RolloutRecordSchema } from '../../src/log/index.js';
import { importJsonl } from '../../src/import/index.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { REPO, cleanup, readRun, survival, tempDir } from './helpers.js';

const lines = (records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

function write(text: string, name = 'trials.jsonl'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

const step = (group: string | number, rollout: number, t: number, action: unknown, extra: object = {}) => ({ type: 'step', group, rollout, t, action, ...extra });
const outcome = (group: string | number, rollout: number, value: number, extra: object = {}) => ({
  type: 'outcome',
  group,
  rollout,
  outcome: { kind: 'coverage', value: [value], target: [1] },
  ...extra,
});

afterAll(cleanup);

describe('import jsonl: the example in docs/import.md', () => {
  const doc = readFileSync(join(REPO, 'docs/import.md'), 'utf8');
  const example = /```jsonl\n([\s\S]*?)```/.exec(doc)![1];

  it('imports as the documentation says', async () => {
    const out = join(tempDir(), 'run');
    const summary = await importJsonl(write(example), { out });
    const { manifest, rollouts, steps } = readRun(out);
    expect(summary).toMatchObject({ name: 'weather-demo', environment: 'weather-bot', agents: ['trials'], horizon: 3, groups: 1, rollouts: 3, steps: 7 });
    expect(manifest).toMatchObject({ status: 'finished', environment: { name: 'weather-bot', outcomeKind: 'coverage', measureKind: null, hasFeatures: false }, horizons: [3] });
    expect(rollouts.map((r) => [r.rollout, r.length, r.termination, r.outcome.success])).toEqual([
      ['trials:3:paris:0', 2, 'terminated', true],
      ['trials:3:paris:1', 3, 'truncated', false],
      ['trials:3:paris:2', 2, 'terminated', true],
    ]);
    const ids = rollouts.map((r) => r.rollout);
    // As the doc works out: S(1) = 1/3 (rollouts 0 and 1 agree up to key order), S(2) = 0.
    expect(survival(steps, ids, 1)).toBeCloseTo(1 / 3, 12);
    expect(survival(steps, ids, 2)).toBe(0);
    const s02 = steps.find((s) => s.rollout === 'trials:3:paris:0' && s.t === 2)!;
    expect(s02).toMatchObject({ action: { respond: true }, text: 'It is sunny, 21 °C.', obs: hashString('tool search: sunny, 21 C'), info: { observation: 'tool search: sunny, 21 C' } });
  });
});

describe('import jsonl: survival by hand on a synthetic group', () => {
  /*
   * One group "g", N = 4 rollouts, N(N-1) = 12 ordered pairs:
   *   r0: a b c     r1: a b d     r2: a x     r3: a b c
   * t=1: every prefix is "a": one class of 4         → S(1) = 4·3/12 = 1
   * t=2: {r0,r1,r3} "ab" (3), {r2} "ax" (1)          → S(2) = 3·2/12 = 1/2,  h(2) = 1 − (1/2)/1 = 1/2
   * t=3: {r0,r3} "abc" (2), {r1} "abd", {r2} "ax END" → S(3) = 2·1/12 = 1/6, h(3) = 1 − (1/6)/(1/2) = 2/3
   * Action agreement at t=3 over the 3 alive rollouts (c, d, c): 2·1/(3·2) = 1/3.
   * Actions are objects whose keys arrive in different orders; canonical keys make them equal.
   */
  const records = [
    step('g', 0, 1, { op: 'a', n: 1 }),
    step('g', 1, 1, { n: 1, op: 'a' }),
    step('g', 2, 1, { op: 'a', n: 1 }),
    step('g', 3, 1, { n: 1, op: 'a' }),
    step('g', 0, 2, 'b'),
    step('g', 1, 2, 'b'),
    step('g', 2, 2, 'x'),
    step('g', 3, 2, 'b'),
    step('g', 0, 3, 'c'),
    step('g', 1, 3, 'd'),
    step('g', 3, 3, 'c'),
    outcome('g', 0, 1),
    outcome('g', 1, 0),
    outcome('g', 2, 0),
    outcome('g', 3, 1),
  ];

  it('gives S(1) = 1, S(2) = 1/2, S(3) = 1/6 from the written steps', async () => {
    const out = join(tempDir(), 'run');
    await importJsonl(write(lines(records), 'synthetic.jsonl'), { out });
    const { rollouts, steps, manifest } = readRun(out);
    expect(manifest.horizons).toEqual([3]);
    const ids = rollouts.map((r) => r.rollout);
    expect(ids).toEqual(['synthetic:3:g:0', 'synthetic:3:g:1', 'synthetic:3:g:2', 'synthetic:3:g:3']);
    expect([1, 2, 3].map((t) => survival(steps, ids, t))).toEqual([1, 1 / 2, 1 / 6]);
    expect(rollouts.map((r) => r.length)).toEqual([3, 3, 2, 3]);

    const doc = await analyzeRun(out, { resamples: 20 });
    expect(doc.groups).toHaveLength(1);
    const curve = doc.groups[0].steps;
    expect(curve.map((x) => x.t)).toEqual([1, 2, 3]);
    [1, 1 / 2, 1 / 6].forEach((S, i) => expect(curve[i].survival).toBeCloseTo(S, 12));
    [0, 1 / 2, 2 / 3].forEach((h, i) => expect(curve[i].hazard).toBeCloseTo(h, 12));
    expect(curve.map((x) => x.alive)).toEqual([4, 4, 3]);
    expect(curve[2].actionAgreement).toBeCloseTo(1 / 3, 12);
    // pass^1 = 2 successes / 4, pass^2 = C(2,2)/C(4,2) = 1/6.
    expect(doc.horizons[0].passK['1']).toBeCloseTo(1 / 2, 12);
    expect(doc.horizons[0].passK['2']).toBeCloseTo(1 / 6, 12);
  });
});

describe('import jsonl: optional fields and several agents', () => {
  it('hashes states and observations, keeps oracle/measure/features/reward/info, writes error rollouts', async () => {
    const file = write(
      lines([
        { type: 'run', name: 'opt', environment: 'env-x', measureKind: 'squared', notes: ['from harness Y'] },
        step(3, 0, 1, 1, { agent: 'm-a', state: { pos: [0, 1] }, oracle: { b: 2, a: 1 }, measure: [0.5, 1], target: [1, 1], features: [0.1, 0.2], reward: 0.25, info: { tokens: 12 } }),
        step(3, 0, 1, 2, { agent: 'm-b', state: 'S1', oracle: 2, measure: [1, 1], target: [1, 1], features: [0.3, 0.4], observation: 'see' }),
        { type: 'outcome', agent: 'm-a', group: 3, rollout: 0, outcome: { kind: 'squared', value: [0.5, 1], target: [1, 1] } },
        { type: 'outcome', agent: 'm-b', group: 3, rollout: 0, outcome: { kind: 'squared', value: [1, 1], target: [1, 1] }, info: { cost: 0.01 } },
        { type: 'outcome', agent: 'm-b', group: 3, rollout: 1, termination: 'error', error: 'rate limited' },
      ]),
    );
    const out = join(tempDir(), 'run');
    const summary = await importJsonl(file, { out });
    const { manifest, rollouts, steps } = readRun(out);
    expect(summary.agents).toEqual(['m-a', 'm-b']);
    expect(summary.terminations).toEqual({ terminated: 2, error: 1 });
    expect(manifest).toMatchObject({
      name: 'opt',
      environment: { name: 'env-x', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: true },
      agents: [{ name: 'm-a', kind: 'imported' }, { name: 'm-b', kind: 'imported' }],
      horizons: [1],
      instances: 1,
    });
    expect(manifest.rollouts).toBeUndefined(); // m-a has 1 rollout in group 3, m-b has 2
    expect(manifest.notes[0]).toBe('from harness Y');
    expect(steps[0]).toEqual({
      rollout: 'm-a:1:3:0',
      t: 1,
      action: 1,
      state: hashValue({ pos: [0, 1] }),
      oracle: { a: 1, b: 2 },
      measure: [0.5, 1],
      target: [1, 1],
      features: [0.1, 0.2],
      reward: 0.25,
      info: { tokens: 12 },
    });
    expect(JSON.stringify(steps[0].oracle)).toBe('{"a":1,"b":2}');
    expect(steps[1]).toMatchObject({ rollout: 'm-b:1:3:0', state: hashValue('S1'), obs: hashString('see'), info: { observation: 'see' } });
    for (const r of rollouts) RolloutRecordSchema.parse(r);
    expect(rollouts[0].outcome.success).toBe(false);
    expect(rollouts[1]).toMatchObject({ outcome: { success: true }, info: { cost: 0.01 } });
    expect(rollouts[2]).toMatchObject({ rollout: 'm-b:1:3:1', termination: 'error', error: 'rate limited', outcome: null, length: 0 });
  });

  it('defaults success for distributions to the most likely class being the gold one', async () => {
    const file = write(
      lines([
        { type: 'outcome', group: 0, rollout: 0, outcome: { kind: 'brier', value: [0.2, 0.7, 0.1], target: [0, 1, 0] } },
        { type: 'outcome', group: 0, rollout: 1, outcome: { kind: 'brier', value: [0.6, 0.3, 0.1], target: [0, 1, 0] } },
        { type: 'outcome', group: 0, rollout: 2, outcome: { kind: 'brier', value: [0.6, 0.3, 0.1], target: [0, 1, 0] }, success: true },
      ]),
    );
    const out = join(tempDir(), 'run');
    await importJsonl(file, { out, agent: 'p' });
    expect(readRun(out).rollouts.map((r) => [r.length, r.outcome.success])).toEqual([
      [0, true],
      [0, false],
      [0, true],
    ]);
  });

  it('lets --horizon override the run line and refuses one shorter than a rollout', async () => {
    const file = write(lines([{ type: 'run', horizon: 5 }, step('g', 0, 1, 'a'), step('g', 0, 2, 'b'), outcome('g', 0, 1)]));
    const out = join(tempDir(), 'run');
    await importJsonl(file, { out, horizon: 9 });
    expect(readRun(out).rollouts[0].rollout).toBe('trials:9:g:0');
    await expect(importJsonl(file, { out: join(tempDir(), 'x'), horizon: 1 })).rejects.toThrow(/--horizon 1 is shorter than the rollout starting at .*trials\.jsonl:2, which has 2 steps/);
  });

  it('checks the file-name agent only when a line relies on it', async () => {
    const named = lines([{ ...step('g', 0, 1, 'a'), agent: 'm' }, { ...outcome('g', 0, 1), agent: 'm' }]);
    const out = join(tempDir(), 'run');
    await importJsonl(write(named, 'my trials.jsonl'), { out });
    expect(readRun(out).rollouts[0].rollout).toBe('m:1:g:0');
    await expect(importJsonl(write(lines([outcome('g', 0, 1)]), 'my trials.jsonl'), { out: join(tempDir(), 'x') })).rejects.toThrow(
      /my trials\.jsonl:1: no "agent" field, and the default agent from --agent or the file name: agent name "my trials" must be non-empty, without colons or spaces/,
    );
  });

  it.each([
    ['a run line after the first', lines([outcome('g', 0, 1), { type: 'run' }]), /:2: a run record may only be the first line/],
    ['a second outcome', lines([outcome('g', 0, 1), outcome('g', 0, 1)]), /:2: a second outcome for this rollout \(the first is on line 1\)/],
    ['mixed outcome kinds', lines([outcome('g', 0, 1), { ...outcome('g', 1, 1), outcome: { kind: 'squared', value: 1, target: 1 } }]), /:2: field "outcome.kind": expected "coverage" like line 1, got "squared"/],
    ['features on some steps only', lines([step('g', 0, 1, 'a', { features: [1] }), step('g', 0, 2, 'a'), outcome('g', 0, 1)]), /1 of 2 steps carry "features"/],
    ['feature sizes that differ', lines([step('g', 0, 1, 'a', { features: [1] }), step('g', 0, 2, 'a', { features: [1, 2] })]), /:2: field "features": expected 1 numbers like the earlier steps, got 2/],
    ['an error rollout without a message', lines([{ type: 'outcome', group: 'g', rollout: 0, termination: 'error' }]), /:1: missing field "error"/],
    ['a colon in an agent name', lines([{ ...outcome('g', 0, 1), agent: 'a:b' }]), /:1: field "agent": agent name "a:b" must be non-empty, without colons or spaces/],
  ])('rejects %s with a message naming the line', async (_name, text, message) => {
    await expect(importJsonl(write(text), { out: join(tempDir(), 'x') })).rejects.toThrow(message);
  });
});
