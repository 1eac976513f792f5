/**
 * quadratic: the Hot Mess paper's synthetic optimizer task.
 *
 * - Models: emulating an optimizer step by step. f(x) = ½(x−b)ᵀA(x−b) in
 *   d = 4 dimensions; A = Q·diag(λ)·Qᵀ with a seeded random rotation Q and
 *   eigenvalues log-spaced from 1 to `condition` (50). The start is b plus a
 *   seeded direction times startFraction·H·stepNorm.
 * - Horizon H: the number of update steps.
 * - Actions: an update vector Δx (continuous, 4 finite numbers); x ← x + Δx.
 * - Oracle (the teacher): steepest descent with a fixed step norm,
 *   Δx = −stepNorm·g/‖g‖ with g = A(x−b) the gradient at the current point.
 * - Ground truth: per step, the agent's point against the teacher's point at
 *   t, squared in the A-norm. The A-norm is implemented by reporting L(x−b)
 *   with A = LᵀL, L = diag(√λ)·Qᵀ, so the plain squared distance of two
 *   reported vectors is (x−x*)ᵀA(x−x*).
 * - Outcome: the final point against the minimiser b in the same A-norm
 *   (value L(x−b), target 0); success when ‖x−b‖²_A ≤ 2·λmax·stepNorm²,
 *   i.e. within about one teacher step along the steepest axis. reset redraws
 *   the start direction in the rare case the teacher itself misses that.
 * - perturb: the teacher step plus N(0, (noiseScale·stepNorm)²) per coordinate.
 * - systematicError: the teacher step rotated by biasAngle degrees in the
 *   plane of the first two coordinates.
 */
import { z } from 'zod';
import { defineEnvironment, hex53, HotmessError, type ActionSpace, type Rng } from '../src/core/index.js';

export const DIM = 4;
const Params = z.object({
  condition: z.number().min(1).max(1e6).default(50).describe('condition number of the bowl: its largest curvature over its smallest'),
  stepNorm: z.number().positive().max(1).default(0.005).describe("length of every update of the teacher's steepest descent"),
  startFraction: z.number().positive().max(1).default(0.5).describe("start distance from the minimiser b, as a fraction of the teacher's path length H·stepNorm"),
  noiseScale: z.number().nonnegative().default(0.5).describe("standard deviation per coordinate of a noisy agent's error, in units of stepNorm"),
  biasAngle: z.number().default(30).describe("rotation of a biased agent's update away from the teacher's, in degrees"),
});
type Params = z.infer<typeof Params>;

type Vec = number[];
const Update = z.array(z.number()).length(DIM);
const SPACE: ActionSpace<Vec> = { kind: 'continuous', schema: Update, description: `an update vector of ${DIM} finite numbers, added to x` };

/** Per-instance data; a class instance, so immer never drafts it. */
export class Bowl {
  constructor(
    /** A, row-major DIM×DIM. */
    readonly A: Float64Array,
    /** L = diag(√λ)·Qᵀ, row-major; LᵀL = A. */
    readonly L: Float64Array,
    readonly b: Float64Array,
    readonly stepNorm: number,
    readonly tolerance: number,
    readonly noise: number,
    readonly cos: number,
    readonly sin: number,
    /** The teacher's L(x*_t − b) for t = 0..H, DIM numbers each. */
    readonly ref: Float64Array,
    readonly horizon: number,
  ) {
    this.stepOf = ` of ${horizon}. x = [`;
  }
  /** The observation text between the step number and x's coordinates. */
  readonly stepOf: string;
  /** The reference point at t as a frozen vector, for t < TARGETS_KEPT: every rollout of the instance logs the same ones. */
  readonly targets: Vec[] = [];
}

/** Steps whose reference vector an instance keeps (about 200 bytes each, with its printed JSON). */
const TARGETS_KEPT = 1024;

/** The teacher's whitened point at t, as the measure's target. */
function referenceAt(bowl: Bowl, t: number): Vec {
  const memo = bowl.targets[t];
  if (memo !== undefined) return memo;
  const k = t * DIM;
  const target = [bowl.ref[k], bowl.ref[k + 1], bowl.ref[k + 2], bowl.ref[k + 3]];
  if (t >= TARGETS_KEPT) return target;
  Object.freeze(target);
  bowl.targets[t] = target;
  return target;
}

const OBSERVE_END = `]. Reply with the update vector dx as ${DIM} numbers.`;

interface State {
  readonly instance: Bowl;
  readonly t: number;
  readonly x: Vec;
}

/** Random rotation: Gram–Schmidt on a Gaussian matrix; rows are orthonormal. */
function rotation(rng: Rng): Float64Array {
  const q = new Float64Array(DIM * DIM);
  for (let i = 0; i < DIM; i++) {
    for (;;) {
      for (let k = 0; k < DIM; k++) q[i * DIM + k] = rng.normal();
      for (let j = 0; j < i; j++) {
        let p = 0;
        for (let k = 0; k < DIM; k++) p += q[i * DIM + k] * q[j * DIM + k];
        for (let k = 0; k < DIM; k++) q[i * DIM + k] -= p * q[j * DIM + k];
      }
      let n = 0;
      for (let k = 0; k < DIM; k++) n += q[i * DIM + k] ** 2;
      n = Math.sqrt(n);
      if (n < 1e-6) continue; // degenerate draw: draw the row again
      for (let k = 0; k < DIM; k++) q[i * DIM + k] /= n;
      break;
    }
  }
  return q;
}

/** The teacher's step at x: −stepNorm·g/‖g‖; zero at the minimiser. */
function teacherStep(bowl: Bowl, x: ArrayLike<number>): Vec {
  const { A, b, stepNorm } = bowl;
  const g = [0, 0, 0, 0];
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += A[i * DIM + j] * (x[j] - b[j]);
    g[i] = s;
    n += s * s;
  }
  n = Math.sqrt(n);
  if (n === 0) return [0, 0, 0, 0];
  for (let i = 0; i < DIM; i++) g[i] = (-stepNorm * g[i]) / n;
  return g;
}

/** L(x − b), written into `out` at `offset`. */
function whiten(bowl: Pick<Bowl, 'L' | 'b'>, x: ArrayLike<number>, out: number[] | Float64Array, offset = 0): void {
  for (let i = 0; i < DIM; i++) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += bowl.L[i * DIM + j] * (x[j] - bowl.b[j]);
    out[offset + i] = s;
  }
}

/** Squared A-norm of x − b. */
function aDistance(bowl: Bowl, x: ArrayLike<number>): number {
  const w = [0, 0, 0, 0];
  whiten(bowl, x, w);
  return w[0] * w[0] + w[1] * w[1] + w[2] * w[2] + w[3] * w[3];
}

function build(params: Params, horizon: number, rng: Rng): { bowl: Bowl; x0: Vec } {
  const q = rotation(rng); // rows of q are the eigenvectors
  const lam = Array.from({ length: DIM }, (_, i) => params.condition ** (i / (DIM - 1)));
  const A = new Float64Array(DIM * DIM);
  const L = new Float64Array(DIM * DIM);
  for (let i = 0; i < DIM; i++) {
    for (let j = 0; j < DIM; j++) {
      let s = 0;
      for (let k = 0; k < DIM; k++) s += q[k * DIM + i] * lam[k] * q[k * DIM + j];
      A[i * DIM + j] = s;
      L[i * DIM + j] = Math.sqrt(lam[i]) * q[i * DIM + j];
    }
  }
  const b = new Float64Array(DIM);
  for (let i = 0; i < DIM; i++) b[i] = rng.normal();
  const eta = params.stepNorm;
  const tolerance = 2 * params.condition * eta * eta;
  const angle = (params.biasAngle * Math.PI) / 180;
  const ref = new Float64Array((horizon + 1) * DIM);
  const bowl = new Bowl(A, L, b, eta, tolerance, params.noiseScale * eta, Math.cos(angle), Math.sin(angle), ref, horizon);
  const radius = params.startFraction * horizon * eta;
  for (let attempt = 0; attempt < 100; attempt++) {
    const u = Array.from({ length: DIM }, () => rng.normal());
    const un = Math.hypot(...u);
    if (un < 1e-9) continue;
    const x0 = u.map((v, i) => b[i] + (radius * v) / un);
    // The reference is the teacher's own trajectory, computed with the very step the oracle uses.
    let x = x0;
    whiten(bowl, x, ref, 0);
    for (let t = 1; t <= horizon; t++) {
      const d = teacherStep(bowl, x);
      x = x.map((v, i) => v + d[i]);
      whiten(bowl, x, ref, t * DIM);
    }
    if (aDistance(bowl, x) <= tolerance) return { bowl, x0 };
  }
  throw new HotmessError(
    'scenario',
    `quadratic: the teacher misses the success tolerance at H=${horizon} from 100 start directions (condition ${params.condition}, startFraction ${params.startFraction}); lower params.startFraction`,
  );
}

export default defineEnvironment<Params, State, Vec>({
  name: 'quadratic',
  description: 'Emulate steepest descent with a fixed step norm on an ill-conditioned 4-d quadratic (Hot Mess synthetic optimizer).',
  params: Params,
  horizonMeaning: 'number of optimizer update steps',
  maxHorizon: 1_000_000,
  reset(params, horizon, rng) {
    const { bowl, x0 } = build(params, horizon, rng);
    return { instance: bowl, t: 0, x: x0 };
  },
  actions: () => SPACE,
  transition(draft, action, s) {
    // Reads from the undrafted state: reading draft.x would draft the array, only to replace it.
    const bowl = s.instance;
    const x = s.x;
    const next = [x[0] + action[0], x[1] + action[1], x[2] + action[2], x[3] + action[3]];
    const t = s.t + 1;
    draft.x = next;
    draft.t = t;
    // Reward: the decrease in f = ½‖x − b‖²_A.
    return { reward: 0.5 * (aDistance(bowl, x) - aDistance(bowl, next)), terminated: t >= bowl.horizon };
  },
  instructions(s) {
    const { A, b, stepNorm } = s.instance;
    const rows = Array.from({ length: DIM }, (_, i) => Array.from(A.subarray(i * DIM, (i + 1) * DIM), fmt).join(', '));
    return (
      `You emulate an optimizer on f(x) = 0.5 (x - b)^T A (x - b) in ${DIM} dimensions, with\nA = [${rows.join('; ')}]\n` +
      `b = [${Array.from(b, fmt).join(', ')}].\n` +
      `Each step, reply with the update vector dx (${DIM} numbers); x becomes x + dx. ` +
      `The rule to emulate is steepest descent with step norm ${stepNorm}: dx = -${stepNorm} g / |g|, where g = A (x - b).`
    );
  },
  observe(s) {
    const x = s.x;
    return {
      data: { t: s.t, x },
      text: 'Step ' + (s.t + 1) + s.instance.stepOf + fmt(x[0]) + ', ' + fmt(x[1]) + ', ' + fmt(x[2]) + ', ' + fmt(x[3]) + OBSERVE_END,
    };
  },
  oracle: (s) => teacherStep(s.instance, s.x),
  measure(s, t) {
    const bowl = s.instance;
    const value = [0, 0, 0, 0];
    whiten(bowl, s.x, value);
    return { value, target: referenceAt(bowl, Math.min(t, bowl.horizon)) };
  },
  measureKind: 'squared',
  // The target is the teacher's own final point, as in the paper: the model is
  // measured against the optimizer it emulates, so the oracle's error is 0.
  // Fixed-norm steps cannot land exactly on b; the distance to b is kept as a
  // secondary outcome, and success is being within tolerance of b.
  outcome(s) {
    const bowl = s.instance;
    const value = [0, 0, 0, 0];
    whiten(bowl, s.x, value);
    const d = value[0] ** 2 + value[1] ** 2 + value[2] ** 2 + value[3] ** 2;
    const k = bowl.horizon * DIM;
    return { kind: 'squared', value, target: [bowl.ref[k], bowl.ref[k + 1], bowl.ref[k + 2], bowl.ref[k + 3]], success: d <= bowl.tolerance };
  },
  secondaryOutcomes(s) {
    const value = [0, 0, 0, 0];
    whiten(s.instance, s.x, value);
    const d = value[0] ** 2 + value[1] ** 2 + value[2] ** 2 + value[3] ** 2;
    return { minimiser: { kind: 'squared', value, target: [0, 0, 0, 0], success: d <= s.instance.tolerance } };
  },
  outcomeKind: 'squared',
  outcomeMeaning:
    "final point against the teacher's final point in the A-norm (reported as L(x-b), A = L^T L); secondary: against the minimiser b; success within 2*condition*stepNorm^2 of b",
  features: (s) => s.x,
  hash: (s) => hashPoint(s.t, s.x),
  perturb(s, rng) {
    const d = teacherStep(s.instance, s.x);
    const sd = s.instance.noise;
    return [d[0] + sd * rng.normal(), d[1] + sd * rng.normal(), d[2] + sd * rng.normal(), d[3] + sd * rng.normal()];
  },
  systematicError(s) {
    const { cos, sin } = s.instance;
    const d = teacherStep(s.instance, s.x);
    return [cos * d[0] - sin * d[1], sin * d[0] + cos * d[1], d[2], d[3]];
  },
});

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/**
 * Hash of (t, exact bits of x), 14 hex digits like hashString, mixing the
 * float words directly instead of formatting them as text (hot path).
 */
function hashPoint(t: number, x: readonly number[]): string {
  let h1 = 0xdeadbeef ^ t;
  let h2 = 0x41c6ce57 ^ t;
  for (let i = 0; i < DIM; i++) {
    F64[0] = x[i];
    for (let w = 0; w < 2; w++) {
      h1 = Math.imul(h1 ^ U32[w], 2654435761);
      h2 = Math.imul(h2 ^ U32[w], 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex53(h2, h1);
}

/** A number rounded to 6 significant digits, as JavaScript prints it: `Number(v.toPrecision(6)).toString()`. */
export function fmt(v: number): string {
  const a = v < 0 ? -v : v;
  // Outside [1e-6, 1e15) (and for 0, NaN, ±Infinity) toString may switch to exponent notation: the slow path.
  if (!(a >= 1e-6 && a < 1e15)) return Number(v.toPrecision(6)).toString();
  const e = Math.floor(Math.log10(a));
  const k = 5 - e;
  // Scaling by an exact power of ten rounds once (half an ulp, ~1e-11 here), so rounding
  // the result to an integer is exact unless it lies within 1e-6 of a half: those go the slow path.
  const scaled = k >= 0 ? a * POW10[k] : a / POW10[-k];
  const n = Math.round(scaled);
  const frac = scaled - Math.floor(scaled);
  if (frac > 0.499999 && frac < 0.500001) return Number(v.toPrecision(6)).toString();
  // log10 near a power of ten, or rounding up to one (999999.7 → 1000000): the slow path.
  if (n < 100000 || n >= 1000000) return Number(v.toPrecision(6)).toString();
  // v ≈ n·10^(-k); drop n's trailing zeros, then place the point.
  let m = n;
  let q = -k;
  while (m % 10 === 0) {
    m /= 10;
    q++;
  }
  const sign = v < 0 ? '-' : '';
  const digits = '' + m;
  if (q >= 0) return sign + digits + ZEROS.slice(0, q);
  const point = digits.length + q;
  return point > 0 ? sign + digits.slice(0, point) + '.' + digits.slice(point) : sign + '0.' + ZEROS.slice(0, -point) + digits;
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);
const ZEROS = '0'.repeat(32);
