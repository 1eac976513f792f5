/**
 * hanoi: the Tower of Hanoi with n disks.
 *
 * - Models: a long plan whose every step is forced; one slip costs a detour.
 * - Horizon H: the optimal number of moves, 2ⁿ−1, so n = log₂(H+1); other
 *   horizons are refused by checkHorizon. The seed picks which peg is the
 *   source and which the target (pegs A, B, C).
 * - Actions: all 6 moves {from, to} between distinct pegs are always listed;
 *   moving from an empty peg or onto a smaller disk is illegal (the state is
 *   unchanged and the engine logs the refusal).
 * - Oracle: the optimal move from ANY legal state, not just the canonical
 *   sequence: the largest disk not yet on its required peg must move there,
 *   so every smaller disk is required on the third peg, recursively; the move
 *   is that of the smallest misplaced disk. This is optimal for reaching a
 *   full tower from any configuration.
 * - Ground truth: per step, each disk's peg as a one-hot triple (3n numbers)
 *   against the canonical optimal solution at step t, so the squared distance
 *   is twice the number of disks on a different peg than the reference.
 * - Outcome: coverage over disks: 1 for each disk on the target peg.
 */
import { z } from 'zod';
import { defineEnvironment, hashString, HotmessError, IdleMemo, type ActionSpace, type Observation, type Rng } from '../src/core/index.js';

const MAX_DISKS = 30;
const Params = z.object({});
type Params = z.infer<typeof Params>;

type Peg = 'A' | 'B' | 'C';
const PEGS: readonly Peg[] = ['A', 'B', 'C'];
const PEG_INDEX: Record<string, number> = { A: 0, B: 1, C: 2 };
type Move = {
  readonly from: Peg;
  readonly to: Peg;
};
/** Frozen: the engine prints a frozen action's JSON once (core/canonical.ts). */
const MOVES: readonly Move[] = [
  { from: 'A', to: 'B' },
  { from: 'A', to: 'C' },
  { from: 'B', to: 'A' },
  { from: 'B', to: 'C' },
  { from: 'C', to: 'A' },
  { from: 'C', to: 'B' },
].map((m) => Object.freeze(m) as Move);
/** MOVE_AT[from * 3 + to]: the shared Move object, so the oracle allocates nothing. */
const MOVE_AT: Move[] = [];
for (const m of MOVES) MOVE_AT[PEG_INDEX[m.from] * 3 + PEG_INDEX[m.to]] = m;
const SPACE: ActionSpace<Move> = { kind: 'discrete', actions: MOVES };

/** Per-instance data; a class instance, so immer never drafts it. */
class Tower {
  constructor(
    readonly disks: number,
    /** Canonical peg c (0 source, 1 spare, 2 target) → actual peg index. */
    readonly pegOf: readonly number[],
    readonly views: Views,
  ) {}
  get source(): number {
    return this.pegOf[0];
  }
  get target(): number {
    return this.pegOf[2];
  }
}

interface State {
  readonly instance: Tower;
  /** Peg index (0..2) of each disk; disk 0 is the smallest. */
  readonly pegs: number[];
}

/** The horizon for n disks and back; null when H is not 2ⁿ−1. */
export function disksForHorizon(h: number): number | null {
  const n = Math.log2(h + 1);
  return Number.isInteger(n) && n >= 1 && n <= MAX_DISKS ? n : null;
}

/** The disk on top of `peg`, or -1 when it is empty. */
function top(pegs: readonly number[], peg: number): number {
  for (let d = 0; d < pegs.length; d++) if (pegs[d] === peg) return d;
  return -1;
}

/**
 * The optimal move towards a full tower on `target`: walk from the largest
 * disk down; each misplaced disk sends the smaller ones to the third peg.
 */
export function optimalMove(pegs: readonly number[], target: number): Move | null {
  let want = target;
  let move: Move | null = null;
  for (let d = pegs.length - 1; d >= 0; d--) {
    if (pegs[d] === want) continue;
    move = MOVE_AT[pegs[d] * 3 + want];
    want = 3 - pegs[d] - want;
  }
  return move;
}

/** Optimal number of moves from `pegs` to a full tower on `target`. */
export function movesToGo(pegs: readonly number[], target: number): number {
  let want = target;
  let n = 0;
  for (let d = pegs.length - 1; d >= 0; d--) {
    if (pegs[d] === want) continue;
    n += 2 ** d; // disk d moves once after the d smaller disks (2^d − 1 moves) are parked
    want = 3 - pegs[d] - want;
  }
  return n;
}

/**
 * Canonical peg (0 source, 1 spare, 2 target) of disk d after t moves of the
 * optimal n-disk solution: disk d moves every 2^(d+1) moves starting at move
 * 2^d, cycling 0→2→1 when n−d is odd and 0→1→2 when it is even.
 */
export function referencePeg(n: number, d: number, t: number): number {
  const moves = Math.floor((t + 2 ** d) / 2 ** (d + 1));
  const step = (n - d) % 2 === 1 ? 2 : 1;
  return (moves * step) % 3;
}

/** The top disk of each peg (-1 when empty), in one pass. */
function tops(pegs: readonly number[]): [number, number, number] {
  const t: [number, number, number] = [-1, -1, -1];
  for (let d = pegs.length - 1; d >= 0; d--) t[pegs[d]] = d;
  return t;
}

function isLegal(t: readonly number[], m: Move): boolean {
  const a = t[PEG_INDEX[m.from]];
  const b = t[PEG_INDEX[m.to]];
  return a >= 0 && (b < 0 || a < b);
}

function describe(pegs: readonly number[]): string {
  const rows = ['A:', 'B:', 'C:'];
  for (let d = pegs.length - 1; d >= 0; d--) rows[pegs[d]] += ' ' + (d + 1);
  for (let p = 0; p < 3; p++) if (rows[p].length === 2) rows[p] += ' (empty)';
  return rows.join(' | ');
}

function legalMoves(pegs: readonly number[]): Move[] {
  const t = tops(pegs);
  return MOVES.filter((m) => isLegal(t, m));
}

/** One-hot per disk of its actual peg: 3n numbers. */
function oneHot(pegs: readonly number[]): number[] {
  const v = new Array<number>(3 * pegs.length).fill(0);
  for (let d = 0; d < pegs.length; d++) v[3 * d + pegs[d]] = 1;
  return v;
}

/** What a configuration alone (with the target peg) decides: the observation, the state hash, the one-hot vector. */
interface View {
  readonly observation: Observation;
  readonly hash: string;
  /** Shared and frozen: features and measure hand out this very array. */
  readonly oneHot: number[];
}

/** Configurations a Views keeps (a few MB at 30 disks); past that, views are built afresh each time (still correct, just slower). */
const VIEWS_KEPT = 4096;
/** Views objects kept at once (distinct disk count × target pairs); the oldest goes first. */
const VIEW_SETS_KEPT = 8;

/**
 * The views of the configurations of n disks towards one target peg, built on
 * first use and handed out again: every rollout of every instance with these
 * n and target walks the same few configurations, and the engine hashes an
 * observation's text once per object. Pure: a memo of pure functions.
 */
class Views {
  private readonly byCode = new Map<number, View>();
  /** The last configuration asked for: observe, hash, measure and features of one step ask about the same array. */
  private lastPegs: readonly number[] | null = null;
  private lastView: View | null = null;
  constructor(readonly target: number) {}

  of(pegs: readonly number[]): View {
    if (pegs === this.lastPegs) return this.lastView!;
    const view = this.byCodeOf(pegs, configCode(pegs));
    this.lastPegs = pegs;
    this.lastView = view;
    return view;
  }

  /** The view of `pegs`, whose code is `code`. */
  byCodeOf(pegs: readonly number[], code: number): View {
    let view = this.byCode.get(code);
    if (view === undefined) {
      view = buildView(pegs, this.target);
      if (this.byCode.size < VIEWS_KEPT) this.byCode.set(code, view);
    }
    return view;
  }

  /** The one-hot vector of `pegs`, whose code is `code`: the memoised view's, or a fresh one once the memo is full. */
  oneHotOf(pegs: readonly number[], code: number): number[] {
    return this.byCode.size < VIEWS_KEPT ? this.byCodeOf(pegs, code).oneHot : (this.byCode.get(code)?.oneHot ?? oneHot(pegs));
  }

  /** The reference's one-hot vectors by source peg and step t (t < REFERENCE_KEPT): every rollout asks for the same ones. */
  readonly reference: number[][][] = [[], [], []];
}

/** Steps of the reference whose one-hot vector a Views keeps per source peg (8 bytes each). */
const REFERENCE_KEPT = 65_536;

/** The configuration as a base-3 number (exact: 3^30 < 2^53). */
function configCode(pegs: readonly number[]): number {
  let code = 0;
  for (let d = pegs.length - 1; d >= 0; d--) code = code * 3 + pegs[d];
  return code;
}

function buildView(pegs: readonly number[], target: number): View {
  const copy = pegs.slice();
  return {
    observation: {
      data: { pegs: copy.map((p) => PEGS[p]), target: PEGS[target] },
      text: `Pegs (bottom to top): ${describe(copy)}. Target peg: ${PEGS[target]}. Legal moves: ${legalMoves(copy)
        .map((m) => m.from + '->' + m.to)
        .join(', ')}.`,
    },
    hash: hashString(copy.join('')),
    // Frozen: the engine prints it once however often it is logged (core/json-fast.ts).
    oneHot: Object.freeze(oneHot(copy)) as number[],
  };
}

/** Let go once the process stops resetting towers: 8 full Views are about 20 MB of old space. */
const VIEW_SETS = new IdleMemo<number, Views>(VIEW_SETS_KEPT);

function viewsFor(disks: number, target: number): Views {
  const key = disks * 3 + target;
  let views = VIEW_SETS.get(key);
  if (views === undefined) {
    views = new Views(target);
    VIEW_SETS.set(key, views);
  }
  return views;
}

/** Scratch for the reference configuration at t (measure): one array, filled per call. */
let refScratch: number[] = [];

/** The one-hot vector of the canonical optimal solution's configuration after t moves. */
function referenceOneHot(tower: Tower, t: number): number[] {
  const kept = tower.views.reference[tower.source];
  const memo = kept[t];
  if (memo !== undefined) return memo;
  const n = tower.disks;
  if (refScratch.length !== n) refScratch = new Array<number>(n);
  const pegs = refScratch;
  let code = 0;
  for (let d = n - 1; d >= 0; d--) {
    pegs[d] = tower.pegOf[referencePeg(n, d, t)];
    code = code * 3 + pegs[d];
  }
  const v = tower.views.oneHotOf(pegs, code);
  if (t < REFERENCE_KEPT) kept[t] = v;
  return v;
}

function pickPegs(rng: Rng): number[] {
  const source = rng.int(3);
  const target = (source + 1 + rng.int(2)) % 3;
  return [source, 3 - source - target, target];
}

export default defineEnvironment<Params, State, Move>({
  name: 'hanoi',
  description: 'Tower of Hanoi: move n disks to the target peg in the optimal 2^n - 1 moves.',
  params: Params,
  horizonMeaning: 'optimal number of moves, 2^n - 1 for n disks (1, 3, 7, 15, ...)',
  maxHorizon: 2 ** MAX_DISKS - 1,
  checkHorizon(h) {
    if (disksForHorizon(h) !== null) return null;
    const valid = Array.from({ length: 10 }, (_, i) => 2 ** (i + 1) - 1).join(', ');
    return `hanoi horizons must be 2^n - 1 for n = 1..${MAX_DISKS} disks; ${h} is not. Valid horizons: ${valid}, ...`;
  },
  reset(_params, horizon, rng) {
    const n = disksForHorizon(horizon);
    if (n === null) throw new HotmessError('scenario', `hanoi: horizon ${horizon} is not 2^n - 1 (see checkHorizon)`);
    const pegOf = pickPegs(rng);
    const tower = new Tower(n, pegOf, viewsFor(n, pegOf[2]));
    return { instance: tower, pegs: new Array<number>(n).fill(tower.source) };
  },
  actions: () => SPACE,
  transition(draft, action, s) {
    const from = PEG_INDEX[action.from];
    const to = PEG_INDEX[action.to];
    if (from === undefined || to === undefined || from === to) return { illegal: `not a move between two pegs: ${action.from} to ${action.to}` };
    // Reads from the undrafted state; the draft is touched once, for the one write.
    const pegs = s.pegs;
    const d = top(pegs, from);
    if (d < 0) return { illegal: `peg ${action.from} is empty` };
    const onto = top(pegs, to);
    if (onto >= 0 && onto < d) return { illegal: `disk ${d + 1} cannot go on smaller disk ${onto + 1}` };
    draft.pegs[d] = to;
    const target = s.instance.target;
    let done = to === target;
    for (let i = 0; i < pegs.length && done; i++) if (i !== d && pegs[i] !== target) done = false;
    return { reward: done ? 1 : 0, terminated: done };
  },
  instructions(s) {
    const n = s.instance.disks;
    return (
      `Tower of Hanoi with ${n} disks numbered 1 (smallest) to ${n} (largest) on pegs A, B and C. ` +
      `Move the whole tower from peg ${PEGS[s.instance.source]} to peg ${PEGS[s.instance.target]}. ` +
      'Move one top disk at a time and never put a larger disk on a smaller one. ' +
      'Reply with a move as {"from": "A", "to": "C"}.'
    );
  },
  observe: (s) => s.instance.views.of(s.pegs).observation,
  oracle: (s) => optimalMove(s.pegs, s.instance.target) ?? MOVES[0],
  measure(s, t) {
    const tower = s.instance;
    return { value: tower.views.of(s.pegs).oneHot, target: referenceOneHot(tower, Math.min(t, 2 ** tower.disks - 1)) };
  },
  measureKind: 'squared',
  outcome(s) {
    const target = s.instance.target;
    const value = s.pegs.map((p) => (p === target ? 1 : 0));
    return { kind: 'coverage', value, target: value.map(() => 1), success: value.every((v) => v === 1) };
  },
  outcomeKind: 'coverage',
  secondaryOutcomes(s) {
    const left = movesToGo(s.pegs, s.instance.target);
    return { movesToGo: { kind: 'squared', value: [left], target: [0], success: left === 0 } };
  },
  outcomeMeaning: 'coverage over disks: which disks ended on the target peg; secondary: optimal moves still needed',
  features: (s) => s.instance.views.of(s.pegs).oneHot,
  hash: (s) => s.instance.views.of(s.pegs).hash,
  systematicError(s) {
    // A fixed habit: the first legal move in list order that is not the optimal one.
    const best = optimalMove(s.pegs, s.instance.target);
    for (const m of legalMoves(s.pegs)) if (m !== best) return m;
    return best ?? MOVES[0];
  },
});
