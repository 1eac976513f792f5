/**
 * maze: navigate a seeded grid maze from start to goal.
 *
 * - Models: a walk where every step can go wrong and a wrong step costs a
 *   detour, the simplest long-horizon navigation task.
 * - Horizon H: the length of the shortest start-to-goal path, exactly. The
 *   maze is perfect (a spanning tree, so shortest paths are unique) and the
 *   goal is a cell at BFS distance H from the start.
 * - Actions: always the 4 strings 'N', 'E', 'S', 'W' (y grows southwards).
 *   Moving into a wall is illegal ('wall'), so m = 4 legal-listed actions at
 *   every state, which the noisy-agent calibration relies on.
 * - Oracle: the move that lowers the BFS distance to the goal (unique).
 * - Ground truth: per step, the agent's (x, y) against the oracle's reference
 *   trajectory position at t (squared).
 * - Outcome: coverage [reached goal], target [1]; secondary `distance`: the
 *   remaining BFS distance, target 0 (squared).
 */
import { z } from 'zod';
import { defineEnvironment, hashString, type ActionSpace, type Observation, type Rng } from '../src/core/index.js';

const Params = z.object({
  minSize: z.number().int().min(2).max(200).default(3).describe('smallest grid side; the generator grows the grid until a shortest path of length H exists'),
});
type Params = z.infer<typeof Params>;

type Dir = 'N' | 'E' | 'S' | 'W';
const DIRS: readonly Dir[] = ['N', 'E', 'S', 'W'];
const DX = [0, 1, 0, -1];
const DY = [-1, 0, 1, 0];
/** Wall bits: bit d set in `open[cell]` means the way in direction d is open. */
const BIT = [1, 2, 4, 8];
const SPACE: ActionSpace<Dir> = { kind: 'discrete', actions: DIRS };
const DIR_INDEX: Record<string, number> = { N: 0, E: 1, S: 2, W: 3 };

/**
 * Per-instance data, built once in reset and never written again. A class
 * instance is not drafted by immer, so a step reads it at plain-object cost.
 */
class Maze {
  /** Observations per cell, built on first use (a memo: observe stays pure). */
  readonly obs: (Observation | undefined)[];
  constructor(
    readonly size: number,
    /** Open-direction bits per cell (index y * size + x). */
    readonly open: Uint8Array,
    /** BFS distance to the goal per cell. */
    readonly dist: Int32Array,
    /** The oracle's trajectory: cell index after t steps, t = 0..H. */
    readonly ref: Int32Array,
    readonly goal: number,
  ) {
    this.obs = new Array(size * size);
  }
}

interface State {
  readonly instance: Maze;
  readonly x: number;
  readonly y: number;
}

/** Randomised depth-first carving: a perfect maze (a spanning tree of the grid). */
function carve(size: number, rng: Rng): Uint8Array {
  const n = size * size;
  const open = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const stack = [rng.int(n)];
  seen[stack[0]] = 1;
  const choices: number[] = [];
  while (stack.length > 0) {
    const c = stack[stack.length - 1];
    const x = c % size;
    const y = (c - x) / size;
    choices.length = 0;
    for (let d = 0; d < 4; d++) {
      const nx = x + DX[d];
      const ny = y + DY[d];
      if (nx >= 0 && ny >= 0 && nx < size && ny < size && !seen[ny * size + nx]) choices.push(d);
    }
    if (choices.length === 0) {
      stack.pop();
      continue;
    }
    const d = choices[rng.int(choices.length)];
    const nc = (y + DY[d]) * size + x + DX[d];
    open[c] |= BIT[d];
    open[nc] |= BIT[(d + 2) % 4];
    seen[nc] = 1;
    stack.push(nc);
  }
  return open;
}

/** BFS distances from `from` over open passages; -1 for unreachable. */
export function bfs(size: number, open: Uint8Array, from: number): Int32Array {
  const dist = new Int32Array(size * size).fill(-1);
  const queue = new Int32Array(size * size);
  let head = 0;
  let tail = 0;
  dist[from] = 0;
  queue[tail++] = from;
  while (head < tail) {
    const c = queue[head++];
    const x = c % size;
    const y = (c - x) / size;
    for (let d = 0; d < 4; d++) {
      if (!(open[c] & BIT[d])) continue;
      const nc = (y + DY[d]) * size + x + DX[d];
      if (dist[nc] < 0) {
        dist[nc] = dist[c] + 1;
        queue[tail++] = nc;
      }
    }
  }
  return dist;
}

/** The direction index that lowers the distance to the goal (first in N, E, S, W order). */
function bestDir(m: Maze, x: number, y: number): number {
  const c = y * m.size + x;
  for (let d = 0; d < 4; d++) {
    if (m.open[c] & BIT[d] && m.dist[(y + DY[d]) * m.size + x + DX[d]] < m.dist[c]) return d;
  }
  return 0; // at the goal: any move; the rollout has terminated anyway
}

function generate(params: Params, horizon: number, rng: Rng): Maze {
  // A DFS maze on s*s cells has a start eccentricity of a good fraction of s*s; grow until H fits.
  for (let size = Math.max(params.minSize, Math.ceil(Math.sqrt(2 * horizon)) + 1); ; size++) {
    const open = carve(size, rng);
    const start = rng.int(size * size);
    const fromStart = bfs(size, open, start);
    const candidates: number[] = [];
    for (let c = 0; c < fromStart.length; c++) if (fromStart[c] === horizon) candidates.push(c);
    if (candidates.length === 0) continue;
    const goal = candidates[rng.int(candidates.length)];
    const dist = bfs(size, open, goal);
    const ref = new Int32Array(horizon + 1);
    const m = new Maze(size, open, dist, ref, goal);
    let x = start % size;
    let y = (start - x) / size;
    for (let t = 0; t <= horizon; t++) {
      ref[t] = y * size + x;
      const d = bestDir(m, x, y);
      x += DX[d];
      y += DY[d];
    }
    return m;
  }
}

/** ASCII map: '#' walls, 'G' goal; rows north to south. */
function renderMap(m: Maze, sx: number, sy: number): string {
  const { size, open } = m;
  const rows: string[] = ['#'.repeat(2 * size + 1)];
  for (let y = 0; y < size; y++) {
    let cells = '#';
    let below = '#';
    for (let x = 0; x < size; x++) {
      const c = y * size + x;
      cells += c === m.goal ? 'G' : x === sx && y === sy ? 'S' : '.';
      cells += open[c] & BIT[1] ? '.' : '#';
      below += open[c] & BIT[2] ? '.#' : '##';
    }
    rows.push(cells, below);
  }
  return rows.join('\n');
}

function observeCell(m: Maze, x: number, y: number): Observation {
  const c = y * m.size + x;
  const cached = m.obs[c];
  if (cached) return cached;
  const openDirs = DIRS.filter((_, d) => m.open[c] & BIT[d]);
  const gx = m.goal % m.size;
  const gy = (m.goal - gx) / m.size;
  const obs: Observation = {
    data: { x, y, open: openDirs, goal: [gx, gy] },
    text: `You are at (${x}, ${y}); the goal is at (${gx}, ${gy}). Open directions: ${openDirs.join(', ')}. Reply with one of N, E, S, W.`,
  };
  m.obs[c] = obs;
  return obs;
}

export default defineEnvironment<Params, State, Dir>({
  name: 'maze',
  description: 'Seeded grid maze whose shortest start-to-goal path is exactly H steps.',
  params: Params,
  horizonMeaning: 'length of the unique shortest path from start to goal',
  // Generation grows faster than linearly: about 0.5 s per instance at 10,000, 30 s at 100,000.
  maxHorizon: 10_000,
  reset(params, horizon, rng) {
    const m = Object.freeze(generate(params, horizon, rng));
    const x = m.ref[0] % m.size;
    return { instance: m, x, y: (m.ref[0] - x) / m.size };
  },
  actions: () => SPACE,
  transition(draft, action, s) {
    const d = DIR_INDEX[action];
    if (d === undefined) return { illegal: `unknown direction ${String(action)}` };
    // Reads from the undrafted state: every read of the draft goes through immer's proxy.
    const m = s.instance;
    const x0 = s.x;
    const y0 = s.y;
    if (!(m.open[y0 * m.size + x0] & BIT[d])) return { illegal: 'wall' };
    const x = x0 + DX[d];
    const y = y0 + DY[d];
    draft.x = x;
    draft.y = y;
    const atGoal = y * m.size + x === m.goal;
    return { reward: atGoal ? 1 : 0, terminated: atGoal };
  },
  instructions(s) {
    const m = s.instance;
    const start = m.ref[0];
    return (
      `You are in a ${m.size}x${m.size} grid maze. Coordinates are (x, y) with x growing east and y growing south; ` +
      `N is y-1, E is x+1, S is y+1, W is x-1. Moving into a wall is refused. Reach the goal G from the start S.\n` +
      renderMap(m, start % m.size, Math.floor(start / m.size))
    );
  },
  observe: (s) => observeCell(s.instance, s.x, s.y),
  oracle: (s) => DIRS[bestDir(s.instance, s.x, s.y)],
  measure(s, t) {
    const m = s.instance;
    const r = m.ref[Math.min(t, m.ref.length - 1)];
    const rx = r % m.size;
    return { value: [s.x, s.y], target: [rx, (r - rx) / m.size] };
  },
  measureKind: 'squared',
  outcome(s) {
    const reached = s.y * s.instance.size + s.x === s.instance.goal;
    return { kind: 'coverage', value: [reached ? 1 : 0], target: [1], success: reached };
  },
  outcomeKind: 'coverage',
  secondaryOutcomes(s) {
    const d = s.instance.dist[s.y * s.instance.size + s.x];
    return { distance: { kind: 'squared', value: [d], target: [0], success: d === 0 } };
  },
  outcomeMeaning: 'whether the goal was reached (coverage of one item); secondary: remaining BFS distance',
  features: (s) => [s.x, s.y],
  hash: (s) => hashString(`${s.x},${s.y}`),
  systematicError(s) {
    // A fixed habit: turn clockwise from the right move, to the first open way; into the wall if none.
    const m = s.instance;
    const best = bestDir(m, s.x, s.y);
    const c = s.y * m.size + s.x;
    for (let k = 1; k < 4; k++) if (m.open[c] & BIT[(best + k) % 4]) return DIRS[(best + k) % 4];
    return DIRS[(best + 1) % 4];
  },
});
