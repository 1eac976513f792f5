import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng, hashString } from '../../src/core/index.js';
import hanoi, { referencePeg } from '../../environments/hanoi.js';

type State = ReturnType<typeof hanoi.reset>;
type Move = ReturnType<typeof hanoi.oracle>;
const PEG = ['A', 'B', 'C'] as const;
const ALL_MOVES = (hanoi.actions(undefined as never) as { actions: readonly Move[] }).actions;

function apply(s: State, m: Move): State {
  const r = hanoi.step(s, m);
  if (r.kind !== 'ok') throw new Error(r.reason);
  return r.state;
}

/** The textbook recursive solution, as a list of (from, to) canonical pegs. */
function recursive(n: number, from: number, to: number, via: number, out: [number, number][]): void {
  if (n === 0) return;
  recursive(n - 1, from, via, to, out);
  out.push([from, to]);
  recursive(n - 1, via, to, from, out);
}

/** Exact distances to the goal tower over all 3^n configurations, by BFS from the goal (moves are reversible). */
function bfsFromGoal(n: number, target: number): Map<string, number> {
  const key = (p: number[]) => p.join('');
  const start = new Array<number>(n).fill(target);
  const dist = new Map([[key(start), 0]]);
  let frontier = [start];
  for (let d = 1; frontier.length > 0; d++) {
    const next: number[][] = [];
    for (const p of frontier) {
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const top = (q: number) => p.findIndex((x) => x === q);
          const da = top(a);
          const db = top(b);
          if (a === b || da < 0 || (db >= 0 && db < da)) continue;
          const q = [...p];
          q[da] = b;
          if (!dist.has(key(q))) {
            dist.set(key(q), d);
            next.push(q);
          }
        }
      }
    }
    frontier = next;
  }
  return dist;
}

/** Observation, hash, features and measure of `s` against renderings made here from the rules. */
function expectFreshViews(s: State, t: number): void {
  const o = hanoi.observe(s);
  const rows = [0, 1, 2].map((p) => s.pegs.map((q, d) => (q === p ? d + 1 : 0)).filter((d) => d > 0).reverse());
  const where = rows.map((r, p) => `${PEG[p]}:${r.length ? ' ' + r.join(' ') : ' (empty)'}`).join(' | ');
  const legal = ALL_MOVES.filter((m) => hanoi.step(s, m).kind === 'ok').map((m) => `${m.from}->${m.to}`);
  expect(o.text).toBe(`Pegs (bottom to top): ${where}. Target peg: ${PEG[s.instance.target]}. Legal moves: ${legal.join(', ')}.`);
  expect(o.data).toEqual({ pegs: s.pegs.map((p) => PEG[p]), target: PEG[s.instance.target] });
  const oneHot = (pegs: number[]) => pegs.flatMap((p) => [0, 1, 2].map((q) => (q === p ? 1 : 0)));
  expect(hanoi.hash(s)).toBe(hashString(s.pegs.join('')));
  expect(hanoi.features!(s)).toEqual(oneHot(s.pegs));
  const n = s.pegs.length;
  const reference = Array.from({ length: n }, (_, d) => s.instance.pegOf[referencePeg(n, d, t)]);
  expect(hanoi.measure!(s, t)).toEqual({ value: oneHot(s.pegs), target: oneHot(reference) });
}

describe('hanoi environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(hanoi, {}, [1, 3, 7, 15, 63])).toEqual([]);
  });

  it('refuses horizons that are not 2^n - 1, naming the valid ones', () => {
    expect(hanoi.checkHorizon!(10, {})).toMatch(/10 is not\. Valid horizons: 1, 3, 7, 15, 31, 63, 127/);
    expect(hanoi.checkHorizon!(0, {})).not.toBeNull();
    expect(hanoi.checkHorizon!(31, {})).toBeNull();
  });

  it('the closed-form reference matches the recursive solution', () => {
    for (let n = 1; n <= 7; n++) {
      const moves: [number, number][] = [];
      recursive(n, 0, 2, 1, moves);
      const pegs = new Array<number>(n).fill(0);
      for (let t = 0; t <= moves.length; t++) {
        for (let d = 0; d < n; d++) expect(referencePeg(n, d, t)).toBe(pegs[d]);
        if (t < moves.length) pegs[pegs.findIndex((p) => p === moves[t][0])] = moves[t][1];
      }
    }
  });

  it('the oracle solves optimally from every reachable state, not just the canonical sequence', () => {
    const s0 = hanoi.reset({}, 15, createRng('any'));
    const target = s0.instance.target;
    const dist = bfsFromGoal(4, target);
    expect(dist.size).toBe(81);
    for (const [key, d] of dist) {
      let s: State = { ...s0, pegs: [...key].map(Number) };
      let steps = 0;
      while (!hanoi.outcome(s).success) {
        s = apply(s, hanoi.oracle(s));
        steps++;
      }
      expect(steps).toBe(d);
      expect(hanoi.secondaryOutcomes!({ ...s0, pegs: [...key].map(Number) }).movesToGo.value).toEqual([d]);
    }
  });

  it('after a deviation the oracle recovers with the optimal number of moves', () => {
    let s = hanoi.reset({}, 31, createRng('dev'));
    for (let t = 0; t < 6; t++) s = apply(s, hanoi.oracle(s));
    s = apply(s, hanoi.systematicError!(s));
    const d = bfsFromGoal(5, s.instance.target).get(s.pegs.join(''))!;
    let steps = 0;
    while (!hanoi.outcome(s).success) {
      s = apply(s, hanoi.oracle(s));
      steps++;
    }
    expect(steps).toBe(d);
    expect(d).toBeGreaterThan(31 - 7);
  });

  it('refuses illegal moves with a reason and lists all 6 moves', () => {
    const s = hanoi.reset({}, 7, createRng('ill'));
    const src = PEG[s.instance.source];
    const empty = PEG.find((p) => p !== src)!;
    expect(ALL_MOVES).toHaveLength(6);
    expect(hanoi.step(s, { from: empty, to: src })).toEqual({ kind: 'illegal', reason: `peg ${empty} is empty` });
    const s1 = apply(s, { from: src, to: empty });
    expect(hanoi.step(s1, { from: src, to: empty })).toEqual({ kind: 'illegal', reason: 'disk 2 cannot go on smaller disk 1' });
  });

  it('measures disks on a different peg than the reference as twice their count', () => {
    let s = hanoi.reset({}, 7, createRng('m'));
    s = apply(s, hanoi.systematicError!(s)); // disk 1 to the wrong peg
    const m = hanoi.measure!(s, 1);
    const sq = m.value.reduce((acc, v, i) => acc + (v - m.target[i]) ** 2, 0);
    expect(sq).toBe(2);
    expect(hanoi.outcome(s).value).toHaveLength(3);
  });

  it('seeds choose the source and target pegs', () => {
    const pairs = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const s = hanoi.reset({}, 3, createRng(`p${i}`));
      expect(s.instance.source).not.toBe(s.instance.target);
      pairs.add(`${s.instance.source}${s.instance.target}`);
    }
    expect(pairs.size).toBe(6);
  });

  it('hands out one observation per configuration and target, shared across instances, equal to a fresh rendering', () => {
    const a = hanoi.reset({}, 15, createRng('p0'));
    let b = a;
    for (let i = 1; b.instance === a.instance || b.instance.target !== a.instance.target; i++) b = hanoi.reset({}, 15, createRng(`p${i}`));
    // Same pegs reached as different arrays (another instance, another state object): the same memoised object.
    const pegs = [...a.pegs];
    expect(hanoi.observe({ ...b, pegs }) as object).toBe(hanoi.observe(a));
    expect(hanoi.hash({ ...b, pegs })).toBe(hashString(pegs.join('')));
    expect(hanoi.features!({ ...b, pegs })).toEqual(pegs.flatMap((p) => [0, 1, 2].map((q) => (q === p ? 1 : 0))));
    // Walk the oracle: the text always says where each disk is and which moves are legal.
    let s = a;
    for (let t = 0; t < 15; t++) {
      expectFreshViews(s, t);
      s = apply(s, hanoi.oracle(s));
    }
  });

  it('every one of the 3^8 configurations (more than the memo keeps) gets the right views, again and again', () => {
    const s0 = hanoi.reset({}, 255, createRng('all'));
    for (let round = 0; round < 2; round++) {
      // The second round asks again about a sample, memoised or not.
      for (let code = 0; code < 3 ** 8; code += round === 0 ? 1 : 7) {
        const pegs = Array.from({ length: 8 }, (_, d) => Math.floor(code / 3 ** d) % 3);
        expectFreshViews({ ...s0, pegs }, code % 256);
      }
    }
  });
});
