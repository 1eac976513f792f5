import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  assertEnvironment,
  checkEnvironment,
  defineEnvironment,
  HotmessError,
  type CheckFailure,
  type EnvironmentDefinition,
} from '../../src/core/index.js';

/** A walk along a line: each step 'go' moves one cell; the goal is cell H. */
interface Line {
  readonly instance: { readonly goal: number; readonly marks: Int32Array };
  readonly pos: number;
}
type Def = EnvironmentDefinition<{ start: number }, Line, string>;

const base: Def = {
  name: 'line',
  description: 'test walk',
  params: z.object({ start: z.number().int().default(0) }),
  horizonMeaning: 'steps',
  reset: (p, h, rng) => ({ instance: { goal: p.start + h, marks: new Int32Array(1 + rng.int(3)) }, pos: p.start }),
  actions: () => ({ kind: 'discrete', actions: ['go', 'stay'] }),
  transition(draft, a) {
    if (a === 'go') draft.pos += 1;
    return { reward: 0, terminated: draft.pos >= draft.instance.goal };
  },
  observe: (s) => ({ data: { pos: s.pos }, text: `at ${s.pos}` }),
  oracle: () => 'go',
  measure: (s, t) => ({ value: [s.pos], target: [t] }),
  measureKind: 'squared',
  outcome: (s) => ({ kind: 'coverage', value: [s.pos >= s.instance.goal ? 1 : 0], target: [1], success: s.pos >= s.instance.goal }),
  outcomeKind: 'coverage',
  outcomeMeaning: 'reached',
  hash: (s) => String(s.pos),
  systematicError: () => 'stay',
};

const run = (over: Partial<Def>, horizons = [3]): CheckFailure[] => checkEnvironment(defineEnvironment({ ...base, ...over }), {}, horizons);
const checks = (fs: CheckFailure[]): string[] => [...new Set(fs.map((f) => f.check))];

describe('checkEnvironment', () => {
  it('passes a correct environment', () => {
    expect(run({}, [1, 3, 10])).toEqual([]);
  });

  it('catches hidden state across resets (seed determinism)', () => {
    let calls = 0;
    const fs = run({ reset: (p, h) => ({ instance: { goal: p.start + h, marks: new Int32Array(1) }, pos: p.start + (calls++ % 2) }) });
    expect(checks(fs)).toContain('determinism');
    expect(fs.find((f) => f.check === 'determinism')?.message).toMatch(/same seed gave different reset state hashes/);
  });

  it('catches an environment whose step accepts an action before reset', () => {
    // defineEnvironment refuses a missing state itself, so the broken one is built by hand.
    const env = defineEnvironment(base);
    const careless = { ...env, step: (state: Line, action: string) => (state === undefined ? { kind: 'ok' as const, state: env.reset({ start: 0 }, 3, { next: () => 0, int: () => 0, normal: () => 0, uint32: () => 0 }), patches: [], reward: 0, terminated: false } : env.step(state, action)) };
    expect(checks(checkEnvironment(careless, {}, [3]))).toContain('before-reset');
  });

  it('refuses a step before reset in every environment made with defineEnvironment', () => {
    const env = defineEnvironment({ ...base, transition: () => ({ reward: 0, terminated: false }) });
    expect(() => env.step(undefined as unknown as Line, 'go')).toThrow(/step called before reset/);
    expect(checks(checkEnvironment(env, {}, [3]))).not.toContain('before-reset');
  });

  it('catches an oracle action missing from actions()', () => {
    const fs = run({ oracle: () => 'jump' });
    expect(fs[0]).toMatchObject({ check: 'oracle-legal', horizon: 3, t: 0 });
    expect(fs[0].message).toMatch(/"jump" is not in actions\(state\)/);
  });

  it('catches an oracle action that step refuses', () => {
    const fs = run({ transition: () => ({ illegal: 'nope' }) });
    expect(fs[0]).toMatchObject({ check: 'step' });
    expect(fs[0].message).toMatch(/refused the oracle action "go": nope/);
  });

  it('catches early termination and a trajectory longer than H', () => {
    const early = run({ transition: (d) => ((d.pos += 1), { reward: 0, terminated: true }) });
    expect(early.find((f) => f.check === 'truncation')?.message).toMatch(/terminated after 1 of 3 steps/);
    const late = run({ reset: (p, h) => ({ instance: { goal: p.start + h + 1, marks: new Int32Array(1) }, pos: p.start }) });
    expect(late.find((f) => f.check === 'truncation')?.message).toMatch(/did not terminate within 3 steps/);
    expect(checks(late)).toContain('goal');
  });

  it('catches an oracle that does not reach the goal', () => {
    const fs = run({ outcome: () => ({ kind: 'coverage', value: [0], target: [1], success: false }) });
    expect(fs).toEqual([expect.objectContaining({ check: 'goal' }), expect.objectContaining({ check: 'goal' })]);
  });

  it('catches malformed measure and outcome vectors', () => {
    expect(checks(run({ measure: (s) => ({ value: [s.pos, 0], target: [s.pos] }) }))).toEqual(['measure']);
    expect(checks(run({ measure: (s) => ({ value: [NaN], target: [s.pos] }) }))).toEqual(['measure']);
    expect(checks(run({ measure: (s, t) => ({ value: [s.pos], target: [t + 1] }) }))).toEqual(['measure']);
    expect(checks(run({ outcome: () => ({ kind: 'coverage', value: [1], target: [2], success: true }) }))).toEqual(['outcome']);
    expect(checks(run({ outcome: () => ({ kind: 'squared', value: [1], target: [1], success: true }) }))).toEqual(['outcome']);
  });

  it('catches an empty observation', () => {
    expect(checks(run({ observe: () => ({ data: null, text: '  ' }) }))).toEqual(['observation']);
  });

  it('catches a step that mutates its input state', () => {
    const fs = run({
      transition(d) {
        d.pos += 1;
        d.instance.marks[0] += 1; // typed arrays are invisible to immer
        return { reward: 0, terminated: d.pos >= d.instance.goal };
      },
      hash: (s) => `${s.pos}:${s.instance.marks[0]}`,
    });
    expect(checks(fs)).toContain('purity');
  });

  it('catches bad deviations and a biased agent equal to the oracle', () => {
    expect(checks(run({ systematicError: () => 'fly' }))).toContain('actions');
    expect(run({ systematicError: () => 'go' }).find((f) => f.check === 'actions')?.message).toMatch(/equals the oracle action at every step/);
  });

  it('turns exceptions into failures naming the method', () => {
    const fs = run({
      observe: () => {
        throw new Error('boom');
      },
    });
    expect(fs[0]).toMatchObject({ check: 'observation', message: 'observe threw: boom' });
  });

  it('reports bad params and refused horizons', () => {
    expect(checkEnvironment(defineEnvironment(base), { start: 'x' }, [3])).toEqual([
      expect.objectContaining({ check: 'params', message: expect.stringMatching(/^params do not parse: start:/) }),
    ]);
    const fs = run({ checkHorizon: (h) => (h % 2 === 1 ? null : 'even horizons are not allowed') }, [3, 4]);
    expect(fs).toEqual([{ check: 'horizon', horizon: 4, message: 'checkHorizon rejected horizon 4: even horizons are not allowed' }]);
  });

  it('assertEnvironment throws one HotmessError listing the failures', () => {
    const env = defineEnvironment({ ...base, oracle: () => 'jump' });
    expect(() => assertEnvironment(env, {}, [2])).toThrow(HotmessError);
    expect(() => assertEnvironment(env, {}, [2])).toThrow(/environment line fails its contract \(2\): \[oracle-legal\] H=2 seed=check-0 t=0: oracle action/);
    expect(() => assertEnvironment(defineEnvironment(base), {}, [2])).not.toThrow();
  });
  describe('at every step across two seeded runs', () => {
    // Module-level counters stand in for hidden randomness: the second run sees other values.
    const counter = () => {
      let n = 0;
      return () => n++;
    };

    it('catches a random reward', () => {
      const next = counter();
      const fs = run({ transition: (d) => ((d.pos += 1), { reward: next() % 2, terminated: d.pos >= d.instance.goal }) });
      expect(fs.find((f) => f.check === 'determinism')?.message).toMatch(/same seed and same actions gave different rewards at step 1/);
    });

    it('catches nondeterministic observation text and observe().data', () => {
      const next = counter();
      const text = run({ observe: (s) => ({ data: { pos: s.pos }, text: `at ${s.pos} (${next()})` }) });
      expect(text.find((f) => f.check === 'determinism')?.message).toMatch(/different (first observations|observation texts)/);
      const next2 = counter();
      const data = run({ observe: (s) => ({ data: { pos: s.pos, tick: next2() }, text: `at ${s.pos}` }) });
      expect(data.find((f) => f.check === 'determinism')?.message).toMatch(/different observe\(\)\.data at step 1/);
    });

    it('catches nondeterministic measures and features', () => {
      const next = counter();
      const m = run({ measure: (s, t) => ({ value: [s.pos + 0 * next()], target: [t + 0] }), features: () => [next()] });
      expect(m.find((f) => f.check === 'determinism')?.message).toMatch(/different features at step 1/);
      const next2 = counter();
      // Right on the oracle's path (value = target) but shifted by a hidden counter.
      const fs = run({ measure: (s, t) => {
        const k = next2();
        return { value: [s.pos + k], target: [t + k] };
      } });
      expect(fs.find((f) => f.check === 'determinism')?.message).toMatch(/different measures at step 1/);
    });
  });

  describe('a seeded random walk', () => {
    it('catches nondeterminism only off the oracle path', () => {
      let n = 0;
      const fs = run({
        transition(d, a) {
          if (a === 'go') d.pos += 1;
          return { reward: a === 'stay' ? n++ : 0, terminated: d.pos >= d.instance.goal };
        },
      }, [10]);
      expect(fs.find((f) => f.check === 'walk')?.message).toMatch(/the same seeded random walk gave different rewards at step \d+/);
      expect(fs.filter((f) => f.check === 'determinism')).toEqual([]);
    });

    it('checks the states it reaches', () => {
      const fs = run({ measure: (s, t) => ({ value: [s.pos < t ? NaN : s.pos], target: [t] }) }, [10]);
      expect(fs.find((f) => f.check === 'measure')?.message).toMatch(/non-finite numbers/);
    });
  });

  it('catches an outcome that reports success for a wrong trajectory', () => {
    const fs = run({ outcome: (s) => ({ kind: 'coverage', value: [1], target: [1], success: s.pos >= 0 }) });
    expect(checks(fs)).toEqual(['wrong-success']);
    expect(fs[0].message).toMatch(/a trajectory of 3 non-oracle action\(s\) ends in a success/);
  });
});
