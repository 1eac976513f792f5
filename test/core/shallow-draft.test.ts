/**
 * The shallow-draft path (core/shallow-draft.ts) against immer, the
 * reference: over every registered environment, along random trajectories,
 * each step's next state, patches (keys, order and values), reward and
 * ending are the same as immer's; and on hand-made transitions, every write
 * the shallow path takes gives immer's patches and every other draft
 * operation bails (the caller then runs immer) without touching the base.
 */
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { produce, type Patch } from 'immer';
import { createRng, horizonProblem, produceShallow, setShallowDrafts, type Action, type AnyEnvironment, type Rng, type TransitionResult } from '../../src/core/index.js';
import { REGISTRY } from '../../src/cli/registry.js';

type Transition = (draft: unknown, action: Action, before: unknown) => TransitionResult;
const transitionOf = (env: AnyEnvironment): Transition => (env as unknown as { transition: Transition }).transition;

/** immer's own answer: produce with a patch listener, as the environment runtime calls it. */
function immerStep(transition: Transition, state: unknown, action: Action): { state: unknown; patches: Patch[]; result: TransitionResult } {
  let patches: Patch[] = [];
  let result: TransitionResult = { illegal: 'not run' };
  const next = produce(
    state,
    (draft: unknown) => {
      result = transition(draft, action, state);
    },
    (p) => (patches = p),
  );
  return { state: next, patches, result };
}

/** An action to try at `state`: a legal-listed one, the oracle's, a biased agent's or a perturbed one. */
function pickAction(env: AnyEnvironment, state: unknown, rng: Rng): Action {
  const space = env.actions(state);
  const r = rng.next();
  if (r < 0.5) return env.oracle(state);
  if (r < 0.65 && env.systematicError) return env.systematicError(state);
  if (space.kind === 'discrete') return space.actions[rng.int(space.actions.length)];
  return env.perturb ? env.perturb(state, rng) : env.oracle(state);
}

/** The exact shape of a list of patches, `undefined` values and key order included. */
const shape = (patches: readonly unknown[]) => patches.map((p) => Object.entries(p as object));

describe('shallow drafts give immer’s patches', () => {
  for (const [name, env] of Object.entries(REGISTRY.environments)) {
    it(`${name}: every step of random trajectories matches immer (or bails)`, () => {
      const params = env.params.parse({});
      const horizons = [3, 7, 10, 15, 31, 40].filter((h) => horizonProblem(env, h, params) === null).slice(0, 3);
      expect(horizons.length).toBeGreaterThan(0);
      const transition = transitionOf(env);
      let shallowSteps = 0;
      let steps = 0;
      for (const horizon of horizons) {
        for (let seed = 0; seed < 6; seed++) {
          let state = env.reset(params, horizon, createRng(`shallow-${seed}`));
          const rng = createRng(`actions-${seed}`);
          for (let t = 0; t < 3 * horizon; t++) {
            const action = pickAction(env, state, rng);
            const before = structuredCloneable(state) ? JSON.stringify(state) : null;
            const reference = immerStep(transition, state, action);
            const shallow = produceShallow(state as Record<string, unknown>, (draft) => transition(draft, action, state));
            steps++;
            if (before !== null) expect(JSON.stringify(state)).toBe(before);
            if (shallow !== null) {
              shallowSteps++;
              expect(shallow.result).toEqual(reference.result);
              expect(shape(shallow.patches)).toEqual(shape(reference.patches));
              expect(isDeepStrictEqual(shallow.state, reference.state)).toBe(true);
              expect(shallow.state === state).toBe(reference.state === state);
            }
            if ('illegal' in reference.result) continue;
            state = reference.state;
            if (reference.result.terminated) break;
          }
        }
      }
      expect(steps).toBeGreaterThan(50);
      // Which environments take the shallow path is a speed matter; the ones that assign top-level fields must.
      if (['maze', 'kv-sum', 'workflow', 'inventory', 'quadratic', 'hanoi', 'quiz'].includes(name)) expect(shallowSteps).toBe(steps);
    });
  }

  it('env.step gives the same results with shallow drafts on and off, for every environment', () => {
    for (const env of Object.values(REGISTRY.environments)) {
      const params = env.params.parse({});
      const horizon = [10, 15, 7, 3].find((h) => horizonProblem(env, h, params) === null)!;
      const run = (on: boolean) => {
        const was = setShallowDrafts(on);
        try {
          const out: string[] = [];
          let state = env.reset(params, horizon, createRng('on-off'));
          const rng = createRng('on-off-actions');
          for (let t = 0; t < 2 * horizon; t++) {
            const r = env.step(state, pickAction(env, state, rng));
            out.push(JSON.stringify(r.kind === 'ok' ? { ...r, state: env.hash(r.state), patches: shape(r.patches) } : r));
            if (r.kind === 'ok') {
              state = r.state;
              if (r.terminated) break;
            }
          }
          return out;
        } finally {
          setShallowDrafts(was);
        }
      };
      expect(run(true), env.name).toEqual(run(false));
    }
  });
});

/** States with class instances or typed arrays are compared by their JSON only when JSON can hold them. */
function structuredCloneable(v: unknown): boolean {
  try {
    JSON.stringify(v);
    return true;
  } catch {
    return false;
  }
}

describe('shallow drafts, write by write', () => {
  type S = Record<string, unknown>;
  const both = (base: S, recipe: (d: S) => unknown) => {
    const frozen = JSON.stringify(base);
    const shallow = produceShallow(base, (d) => recipe(d as S));
    let patches: Patch[] = [];
    const next = produce(base, (d: S) => void recipe(d), (p) => (patches = p));
    expect(JSON.stringify(base)).toBe(frozen);
    return { shallow, immer: { state: next, patches } };
  };
  const same = (base: S, recipe: (d: S) => unknown) => {
    const { shallow, immer } = both(base, recipe);
    expect(shallow).not.toBeNull();
    expect(shape(shallow!.patches)).toEqual(shape(immer.patches));
    expect(isDeepStrictEqual(shallow!.state, immer.state)).toBe(true);
    expect(shallow!.state === base).toBe(immer.state === base);
    return shallow!;
  };

  it('primitive writes: replace, add, unchanged, written back, NaN, -0, undefined, read after write', () => {
    const base = () => ({ a: 1, b: 'x', c: NaN, z: 0, u: undefined as unknown, nested: { k: 1 } });
    expect(same(base(), (d) => (d.a = 2)).patches).toEqual([{ op: 'replace', path: ['a'], value: 2 }]);
    expect(same(base(), (d) => (d.fresh = 5)).patches).toEqual([{ op: 'add', path: ['fresh'], value: 5 }]);
    expect(same(base(), (d) => (d.a = 1)).patches).toEqual([]);
    same(base(), () => undefined);
    same(base(), (d) => ((d.a = 3), (d.a = 1)));
    same(base(), (d) => (d.c = NaN));
    same(base(), (d) => ((d.a = 2), (d.c = NaN)));
    same(base(), (d) => (d.z = -0));
    same(base(), (d) => (d.u = undefined));
    same(base(), (d) => (d.fresh = undefined));
    same(base(), (d) => ((d.b = 'y'), (d.a = 7), (d.b = 'z'), (d.a = (d.a as number) + 1)));
    same(base(), (d) => ((d.a = (d.a as number) + 1), 'a' in d && (d.b = String(d.a))));
  });

  it('object values: a fresh object or array is assigned as it is, and reads back as itself', () => {
    const base = { a: [1, 2], o: { k: 1 } };
    const fresh = [3, 4];
    const s = same(base, (d) => {
      d.a = fresh;
      (d.a as number[]).push(5);
    });
    expect((s.state as S).a).toBe(fresh);
    expect(s.patches[0].value).toBe(fresh);
  });

  it('bails on what only immer records, leaving the base as it was', () => {
    const base = () => ({ a: 1, arr: [1, 2], o: { k: 1 } });
    const bails = (recipe: (d: S) => unknown) => expect(both(base(), recipe).shallow).toBeNull();
    bails((d) => (d.arr as number[]).push(3));
    bails((d) => ((d.o as S).k = 2));
    bails((d) => void (d.o as S).k);
    bails((d) => delete d.a);
    bails((d) => Object.keys(d));
    bails((d) => ({ ...d }));
    bails((d) => d.hasOwnProperty('a'));
    bails((d) => ((d.a = 2), (d.arr as number[]).map((x) => x)));
    bails((d) => ((d.arr as number[]).length = 5));
    bails((d) => ((d.arr as number[])[3] = 5)); // a hole
    bails((d) => void (d.arr as number[])[2]); // past the end
    bails((d) => [...(d.arr as number[])]);
    bails((d) => delete (d.arr as number[])[0]);
    bails((d) => 0 in (d.arr as number[]));
    bails((d) => Object.keys(d.arr as number[]));
    bails((d) => ((d.arr as unknown as S)['01'] = 5));
    expect(produceShallow(base(), (d) => (((d as S).arr as unknown as S).foo = 5))).toBeNull(); // immer refuses it outright
    bails((d) => ((d.arr as number[])[0] = 9, (d.arr = [1])));
    bails((d) => void ((d.rows = [{ k: 1 }]), ((d.arr as unknown[])[0] = d.o)));
    bails((d) => void ((d.o as S).k));
    // immer refuses this one outright; the shallow path leaves it to immer to say so.
    expect(produceShallow(base(), (d) => Object.defineProperty(d, 'q', { value: 1 }))).toBeNull();
    // A recipe that swallows the bail still gets no shallow result.
    bails((d) => {
      try {
        (d.arr as number[]).push(3);
      } catch {
        /* swallowed */
      }
    });
  });

  it('arrays the state holds: index writes within and at the end, arrays in arrays, in immer’s order', () => {
    const base = () => ({ n: 1, pegs: [0, 0, 1], right: [[1, 0], [1]], other: [5, 6], o: { k: 1 } });
    const arr = (d: S, k: string) => d[k] as unknown[];
    expect(same(base(), (d) => (arr(d, 'pegs')[1] = 2)).patches).toEqual([{ op: 'replace', path: ['pegs', 1], value: 2 }]);
    expect(same(base(), (d) => (arr(d, 'pegs')[3] = 2)).patches).toEqual([{ op: 'add', path: ['pegs', 3], value: 2 }]);
    // quiz's step: the last chunk grows, then two root fields.
    expect(
      same(base(), (d) => {
        (arr(d, 'right')[1] as number[])[1] = 0;
        d.n = 2;
      }).patches,
    ).toEqual([
      { op: 'add', path: ['right', 1, 1], value: 0 },
      { op: 'replace', path: ['n'], value: 2 },
    ]);
    // quiz's first answer of a chunk: a fresh array at the end.
    same(base(), (d) => ((d.n = 3), (arr(d, 'right')[2] = [1])));
    // Unchanged, written back, NaN, -0, undefined: no patch, or immer's.
    same(base(), (d) => (arr(d, 'pegs')[0] = 0));
    same(base(), (d) => ((arr(d, 'pegs')[0] = 2), (arr(d, 'pegs')[0] = 0)));
    same(base(), (d) => ((arr(d, 'pegs')[0] = NaN), (arr(d, 'pegs')[0] = NaN)));
    same(base(), (d) => (arr(d, 'pegs')[0] = -0));
    same(base(), (d) => ((arr(d, 'pegs')[2] = 7), (arr(d, 'pegs')[0] = -0)));
    same(base(), (d) => (arr(d, 'pegs')[3] = undefined));
    same({ u: [undefined] }, (d) => (arr(d, 'u')[0] = undefined));
    // Several indices and arrays: replaces in index order, then adds; arrays drafted last give their patches first.
    same(base(), (d) => {
      arr(d, 'pegs')[2] = 0;
      arr(d, 'other')[0] = 1;
      arr(d, 'pegs')[0] = 1;
      arr(d, 'pegs')[3] = 4;
      arr(d, 'pegs')[4] = 5;
      d.n = 9;
      (arr(d, 'right')[0] as number[])[0] = 0;
      arr(d, 'right')[2] = [];
      arr(d, 'pegs')[1] = 1;
    });
    // Reads through the draft: length, values, the same draft twice, a value written in this step.
    same(base(), (d) => {
      const p = arr(d, 'pegs');
      p[p.length] = (p[0] as number) + (p[2] as number);
      expect(arr(d, 'pegs')).toBe(p);
      expect(Array.isArray(p)).toBe(true);
      arr(d, 'right')[0] = [7];
      (arr(d, 'right')[0] as number[])[1] = 8;
      return p.length;
    });
    // Drafted but not written: the base is returned, and arrays only read stay shared.
    const b = base();
    const r = same(b, (d) => void (arr(d, 'right')[0] as number[])[1]);
    expect(r.state).toBe(b);
    const w = same(b, (d) => ((arr(d, 'right')[1] as number[])[0] = 0));
    expect((w.state as S).pegs).toBe(b.pegs);
    expect(((w.state as S).right as unknown[])[0]).toBe(b.right[0]);
    expect(b.right).toEqual([[1, 0], [1]]);
  });

  it('rethrows the recipe’s own error, and the draft is dead after the step', () => {
    const base = { a: 1 };
    expect(() => produceShallow(base, () => { throw new Error('own'); })).toThrow('own');
    let kept: S | null = null;
    produceShallow(base, (d) => (kept = d as S));
    expect(() => kept!.a).toThrow(/revoked/);
    expect(() => (kept!.a = 2)).toThrow(/revoked/);
    let keptArray: number[] | null = null;
    produceShallow({ arr: [1] }, (d) => (keptArray = (d as S).arr as number[]));
    expect(() => keptArray![0]).toThrow(/revoked/);
    expect(() => (keptArray![0] = 2)).toThrow(/revoked/);
  });

  it('nests: a transition may step another state inside its own step', () => {
    const inner = { n: 1 };
    const outer = { m: 1, inner };
    const r = produceShallow(outer, (d) => {
      const i = produceShallow(inner, (di) => ((di as S).n = 2));
      (d as S).m = 2;
      (d as S).inner = i!.state;
      return i!.patches;
    });
    expect(r!.result).toEqual([{ op: 'replace', path: ['n'], value: 2 }]);
    expect(r!.state).toEqual({ m: 2, inner: { n: 2 } });
    expect(r!.patches.map((p) => p.path)).toEqual([['m'], ['inner']]);
    expect(inner).toEqual({ n: 1 });
  });
});
