import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng } from '../../src/core/index.js';
import quadratic, { DIM, fmt } from '../../environments/quadratic.js';

const params = quadratic.params.parse({});
type State = ReturnType<typeof quadratic.reset>;

const matVec = (A: ArrayLike<number>, v: readonly number[]): number[] => v.map((_, i) => v.reduce((s, vj, j) => s + A[i * DIM + j] * vj, 0));
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, ai, i) => s + ai * b[i], 0);
const norm = (a: readonly number[]): number => Math.sqrt(dot(a, a));
const sub = (a: readonly number[], b: ArrayLike<number>): number[] => a.map((v, i) => v - b[i]);

function step(s: State, a: number[]): State {
  const r = quadratic.step(s, a);
  if (r.kind !== 'ok') throw new Error(r.reason);
  return r.state;
}

describe('quadratic environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(quadratic, {}, [1, 4, 16, 64, 200])).toEqual([]);
  });

  it('the reported vectors give the A-norm: |L v|^2 = v^T A v', () => {
    const s = quadratic.reset(params, 16, createRng('anorm'));
    const { A, L } = s.instance;
    const rng = createRng('v');
    for (let k = 0; k < 20; k++) {
      const v = Array.from({ length: DIM }, () => rng.normal());
      const Lv = matVec(L, v);
      expect(dot(Lv, Lv)).toBeCloseTo(dot(v, matVec(A, v)), 10);
      // measure reports L(x - b): two states' squared distance is their A-norm distance
      const x = s.x.map((xi, i) => xi + v[i]);
      const m1 = quadratic.measure!({ ...s, x }, 0).value;
      const m0 = quadratic.measure!(s, 0).value;
      expect(dot(sub(m1, m0), sub(m1, m0))).toBeCloseTo(dot(v, matVec(A, v)), 10);
    }
  });

  it('A is symmetric with eigenvalues log-spaced from 1 to the condition number', () => {
    const { A } = quadratic.reset(params, 8, createRng('eig')).instance;
    const lam = [0, 1, 2, 3].map((i) => 50 ** (i / 3));
    for (let i = 0; i < DIM; i++) for (let j = 0; j < DIM; j++) expect(A[i * DIM + j]).toBeCloseTo(A[j * DIM + i], 12);
    const trace = [0, 1, 2, 3].reduce((s, i) => s + A[i * DIM + i], 0);
    let trace2 = 0;
    for (let i = 0; i < DIM * DIM; i++) trace2 += A[i] ** 2; // trace(A²) = Frobenius² for symmetric A
    expect(trace).toBeCloseTo(lam.reduce((a, b) => a + b), 9);
    expect(trace2).toBeCloseTo(lam.reduce((a, b) => a + b * b, 0), 8);
  });

  it('the oracle is the fixed-norm steepest descent step', () => {
    const s = quadratic.reset(params, 32, createRng('teacher'));
    const g = matVec(s.instance.A, sub(s.x, s.instance.b));
    const a = quadratic.oracle(s);
    expect(norm(a)).toBeCloseTo(0.005, 12);
    a.forEach((ai, i) => expect(ai).toBeCloseTo((-0.005 * g[i]) / norm(g), 12));
    expect(norm(sub(s.x, s.instance.b))).toBeCloseTo(0.5 * 32 * 0.005, 12);
  });

  it('success needs the optimizer: standing still fails, the teacher succeeds', () => {
    for (const h of [32, 64]) {
      let still = quadratic.reset(params, h, createRng(`still${h}`));
      let teacher = still;
      for (let t = 0; t < h; t++) {
        still = step(still, [0, 0, 0, 0]);
        teacher = step(teacher, quadratic.oracle(teacher));
      }
      expect(quadratic.outcome(still).success).toBe(false);
      expect(quadratic.outcome(teacher).success).toBe(true);
    }
  });

  it('a biased optimizer drifts from the teacher trajectory step by step', () => {
    let s = quadratic.reset(params, 64, createRng('drift'));
    const errs: number[] = [];
    for (let t = 1; t <= 16; t++) {
      s = step(s, quadratic.systematicError!(s));
      const m = quadratic.measure!(s, t);
      errs.push(dot(sub(m.value, m.target), sub(m.value, m.target)));
    }
    expect(errs[0]).toBeGreaterThan(0);
    expect(errs[15]).toBeGreaterThan(10 * errs[0]);
  });

  it('perturb adds Gaussian noise of the documented scale', () => {
    const s = quadratic.reset(params, 16, createRng('noise'));
    const o = quadratic.oracle(s);
    const rng = createRng('draws');
    const n = 4000;
    let sum = 0;
    let sumSq = 0;
    for (let k = 0; k < n; k++) {
      const d = sub(quadratic.perturb!(s, rng), o);
      for (const v of d) {
        sum += v;
        sumSq += v * v;
      }
    }
    const sd = Math.sqrt(sumSq / (n * DIM));
    expect(Math.abs(sum / (n * DIM))).toBeLessThan(1e-4);
    expect(sd).toBeGreaterThan(0.0024);
    expect(sd).toBeLessThan(0.0026);
  });

  it('systematicError rotates the step by 30 degrees in the (x0, x1) plane', () => {
    const s = quadratic.reset(params, 16, createRng('rot'));
    const o = quadratic.oracle(s);
    const e = quadratic.systematicError!(s);
    expect(e.slice(2)).toEqual(o.slice(2));
    const angle = Math.atan2(e[1], e[0]) - Math.atan2(o[1], o[0]);
    expect(Math.cos(angle)).toBeCloseTo(Math.cos(Math.PI / 6), 12);
    expect(Math.sin(angle)).toBeCloseTo(Math.sin(Math.PI / 6), 12);
  });

  it('refuses non-finite or wrong-length updates', () => {
    const space = quadratic.actions(quadratic.reset(params, 4, createRng('s')));
    if (space.kind !== 'continuous') throw new Error('expected continuous');
    expect(space.schema.safeParse([0, 0, 0, Infinity]).success).toBe(false);
    expect(space.schema.safeParse([0, 0, 0]).success).toBe(false);
    expect(space.schema.safeParse([0, 0, 0, 1e-3]).success).toBe(true);
  });

  it('prints observation numbers exactly as Number(v.toPrecision(6)).toString(), ties and extremes included', () => {
    const ref = (v: number): string => Number(v.toPrecision(6)).toString();
    const rng = createRng('fmt');
    const values = [0, -0, 1, -1, 1e-6, -1e-6, 9.999995e-7, 9.999996e-7, 999999.5, 999999.4, 1e15, 999999999999999, 1e21, NaN, Infinity, -Infinity, 5e-324, 0.1, 1 / 3, 123456.5, 1234565];
    for (let i = 0; i < 20000; i++) values.push((rng.next() - 0.5) * 10 ** (rng.next() * 40 - 20));
    // Exact halves at the 7th significant digit, where rounding the scaled float could go either way.
    for (let i = 0; i < 20000; i++) {
      const m = 100000 + rng.int(900000);
      const e = 10 ** (rng.int(30) - 15);
      values.push((m + 0.5) * e, -(m + 0.5) * e, (m + 0.4999999) * e, m * e);
    }
    const wrong = values.filter((v) => fmt(v) !== ref(v));
    expect(wrong).toEqual([]);
  });
});
