import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng } from '../../src/core/index.js';
import maze from '../../environments/maze.js';

const params = maze.params.parse({});
const DX: Record<string, number> = { N: 0, E: 1, S: 0, W: -1 };
const DY: Record<string, number> = { N: -1, E: 0, S: 1, W: 0 };

/** Independent BFS over the maze as the environment exposes it: legal moves only. */
function shortest(s: ReturnType<typeof maze.reset>): number {
  const key = (x: number, y: number) => `${x},${y}`;
  const seen = new Map([[key(s.x, s.y), 0]]);
  let frontier = [s];
  for (let d = 0; frontier.length > 0; d++) {
    const next: (typeof s)[] = [];
    for (const st of frontier) {
      if (maze.outcome(st).success) return d;
      for (const a of ['N', 'E', 'S', 'W']) {
        const r = maze.step(st, a as 'N');
        if (r.kind === 'ok' && !seen.has(key(r.state.x, r.state.y))) {
          seen.set(key(r.state.x, r.state.y), d + 1);
          next.push(r.state);
        }
      }
    }
    frontier = next;
  }
  return -1;
}

describe('maze environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(maze, {}, [1, 2, 5, 16, 40])).toEqual([]);
  });

  it('has a shortest start-to-goal path of exactly H, by an independent BFS', () => {
    for (const h of [1, 3, 8, 17, 30]) {
      for (let i = 0; i < 4; i++) expect(shortest(maze.reset(params, h, createRng(`m${h}:${i}`)))).toBe(h);
    }
  });

  it('always lists the same 4 actions and refuses walls without changing the state', () => {
    const s = maze.reset(params, 12, createRng('walls'));
    let walls = 0;
    for (const a of ['N', 'E', 'S', 'W'] as const) {
      expect(maze.actions(s)).toEqual({ kind: 'discrete', actions: ['N', 'E', 'S', 'W'] });
      const r = maze.step(s, a);
      if (r.kind === 'illegal') {
        expect(r.reason).toBe('wall');
        walls++;
      } else {
        expect([r.state.x - s.x, r.state.y - s.y]).toEqual([DX[a], DY[a]]);
      }
    }
    expect(walls).toBeGreaterThan(0);
    expect(walls).toBeLessThan(4);
  });

  it('oracle moves lower the distance by one and a detour raises it', () => {
    let s = maze.reset(params, 20, createRng('detour'));
    const d0 = maze.secondaryOutcomes!(s).distance.value[0];
    expect(d0).toBe(20);
    const wrong = (['N', 'E', 'S', 'W'] as const).find((a) => a !== maze.oracle(s) && maze.step(s, a).kind === 'ok');
    if (wrong) {
      const r = maze.step(s, wrong);
      if (r.kind !== 'ok') throw new Error('expected a legal move');
      expect(maze.secondaryOutcomes!(r.state).distance.value[0]).toBe(21);
      expect(maze.measure!(r.state, 1).value).not.toEqual(maze.measure!(r.state, 1).target);
    }
    const r = maze.step(s, maze.oracle(s));
    if (r.kind !== 'ok') throw new Error(r.reason);
    s = r.state;
    expect(maze.secondaryOutcomes!(s).distance.value[0]).toBe(19);
    expect(maze.features!(s)).toEqual([s.x, s.y]);
  });

  it('renders a map with the start and goal, and a text observation', () => {
    const s = maze.reset(params, 10, createRng('map'));
    const map = maze.instructions!(s).split('\n').slice(1);
    const size = s.instance.size;
    expect(map).toHaveLength(2 * size + 1);
    expect(map.every((row) => row.length === 2 * size + 1)).toBe(true);
    expect(map.join('').match(/S/g)).toHaveLength(1);
    expect(map.join('').match(/G/g)).toHaveLength(1);
    expect(map[2 * s.y + 1][2 * s.x + 1]).toBe('S');
    expect(maze.observe(s).text).toMatch(new RegExp(`^You are at \\(${s.x}, ${s.y}\\)`));
  });

  it('a biased agent deterministically avoids the right move', () => {
    const s = maze.reset(params, 9, createRng('bias'));
    expect(maze.systematicError!(s)).not.toBe(maze.oracle(s));
    expect(maze.systematicError!(s)).toBe(maze.systematicError!(s));
  });
});
