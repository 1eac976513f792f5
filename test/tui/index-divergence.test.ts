/**
 * The replay index caches where each group first diverges, read from the
 * step bytes in the indexing pass: it must equal what the loaded lanes say
 * (the slow path) on engine runs and on hand-made logs with every oddity the
 * lanes handle, an index from the previous version must be rebuilt, never
 * misread, and the run summary must read no step line at all.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { divergenceLine, INDEX_FILE, openIndex, renderPlain, ReplayModel } from '../../src/tui/index.js';
import { tempDir } from '../helpers/run-dir.js';
import { makeMazeRun } from './helpers.js';

let maze: string;
beforeAll(async () => {
  maze = await makeMazeRun({ rollouts: 8, epsilon: 0.2 });
});

/** Every group's cached first divergence against its lanes loaded from the log; returns the groups the index holds. */
async function expectIndexMatchesLanes(dir: string): Promise<number> {
  const model = await ReplayModel.open(dir, { cache: false });
  let cached = 0;
  for (const ref of model.groups) {
    const slow = (await model.group(ref.key)).divergence.first;
    const fast = model.index.divergence[ref.key];
    if (fast !== undefined) {
      cached++;
      expect({ key: ref.key, first: fast }).toEqual({ key: ref.key, first: slow });
    }
    expect(await model.firstDivergence(ref.key)).toBe(slow);
  }
  return cached;
}

/** A run directory with the maze run's manifest and the given rollout and step lines. */
function handMade(rollouts: readonly object[], steps: readonly string[]): string {
  const dir = join(tempDir('hotmess-index-div-'), 'run');
  mkdirSync(dir);
  copyFileSync(join(maze, 'manifest.json'), join(dir, 'manifest.json'));
  writeFileSync(join(dir, 'rollouts.jsonl'), rollouts.map((r) => JSON.stringify(r) + '\n').join(''));
  writeFileSync(join(dir, 'steps.jsonl'), steps.map((s) => s + '\n').join(''));
  return dir;
}

const outcome = { kind: 'squared', value: [1], target: [1] };
const rollout = (agent: string, instance: number, index: number, length: number, termination = 'terminated') =>
  termination === 'error'
    ? { rollout: `${agent}:9:${instance}:${index}`, agent, horizon: 9, instance, index, length, termination, error: 'boom' }
    : { rollout: `${agent}:9:${instance}:${index}`, agent, horizon: 9, instance, index, length, termination, outcome };
const step = (id: string, t: number, action: string, extra = '') => `{"rollout":"${id}","t":${t},"action":${action}${extra},"obs":"00","patches":[]}`;

describe('the replay index’s first divergence', () => {
  it('equals the loaded lanes’ on an engine run, for every group', async () => {
    expect(await expectIndexMatchesLanes(maze)).toBe(4);
  });

  it('equals them on logs with numbers in other spellings, reordered objects, refusals, other writers, errors, gaps and restarts', async () => {
    const r = (inst: number, i: number) => `a:9:${inst}:${i}`;
    const dir = handMade(
      [
        // Group 0: the same actions spelled differently (1, 1.0, 1e0; key order; an escaped string), never diverging.
        rollout('a', 0, 0, 3),
        rollout('a', 0, 1, 3),
        rollout('a', 0, 2, 3),
        // Group 1: 0 and -0 are one action, as are 123456789012 and 123456789012.0: it diverges at t=3 (7 against 8).
        rollout('a', 1, 0, 3),
        rollout('a', 1, 1, 3),
        // Group 2: one errored rollout (not compared) that differs at t=1, and a rollout that ends early.
        rollout('a', 2, 0, 2),
        rollout('a', 2, 1, 3, 'error'),
        rollout('a', 2, 2, 3),
        // Group 3: every rollout errored.
        rollout('a', 3, 0, 1, 'error'),
        rollout('a', 3, 1, 1, 'error'),
        // Group 4: a restarted rollout (an earlier attempt's lines first) and a gap: both spell "missing" the same way.
        rollout('a', 4, 0, 3),
        rollout('a', 4, 1, 3),
      ],
      [
        step(r(0, 0), 1, '1'),
        step(r(0, 0), 2, '{"b":[1,2],"a":"x"}'),
        step(r(0, 0), 3, '"N\\u0045"'),
        step(r(0, 1), 1, '1.0'),
        step(r(0, 1), 2, '{"a":"x","b":[1,2]}', ',"illegal":"wall"'),
        `{"t":3,"rollout":"${r(0, 1)}","action":"NE"}`,
        step(r(0, 2), 1, '1e0'),
        step(r(0, 2), 2, '{"a":"x","b":[1.0,2]}'),
        step(r(0, 2), 3, '"NE"', ',"oracle":"S"'),
        step(r(1, 0), 1, '0'),
        step(r(1, 0), 2, '123456789012'),
        step(r(1, 0), 3, '7'),
        step(r(1, 1), 1, '-0'),
        step(r(1, 1), 2, '123456789012.0'),
        step(r(1, 1), 3, '8'),
        step(r(2, 0), 1, '"N"'),
        step(r(2, 0), 2, '"N"'),
        step(r(2, 1), 1, '"S"'),
        step(r(2, 1), 2, '"S"'),
        step(r(2, 1), 3, '"S"'),
        step(r(2, 2), 1, '"N"'),
        step(r(2, 2), 2, '"N"'),
        step(r(2, 2), 3, '"N"'),
        step(r(3, 0), 1, '"N"'),
        step(r(3, 1), 1, '"S"'),
        step(r(4, 0), 1, '"S"'),
        step(r(4, 0), 1, '"N"'),
        step(r(4, 0), 2, '"N"'),
        step(r(4, 1), 2, '"N"'),
        step(r(4, 1), 3, '"W"'),
        step(r(4, 1), 3, '"W"'),
      ],
    );
    // The restarted rollout has 3 lines for length 3; the one with a gap has 3 lines (t=2, 3, 3 again) for length 3.
    expect(await expectIndexMatchesLanes(dir)).toBe(5);
    const model = await ReplayModel.open(dir, { cache: false });
    expect(model.index.divergence).toEqual({ 'a:9:0': null, 'a:9:1': 3, 'a:9:2': 3, 'a:9:3': null, 'a:9:4': 1 });
  });

  it('leaves out a group with a line it cannot read from the bytes, which replay then reads itself', async () => {
    const dir = handMade([rollout('a', 0, 0, 2), rollout('a', 0, 1, 2), rollout('a', 1, 0, 1)], [
      step('a:9:0:0', 1, '"N"'),
      '{"rollout":"a:9:0:0","t":2.5,"action":"N","patches":[]}',
      step('a:9:0:1', 1, '"N"'),
      step('a:9:0:1', 2, '"N"'),
      step('a:9:1:0', 1, '"N"'),
    ]);
    const model = await ReplayModel.open(dir, { cache: false });
    expect(model.index.divergence).toEqual({ 'a:9:1': null });
    // The slow path says what is wrong, as before.
    await expect(model.firstDivergence('a:9:0')).rejects.toThrow(/"t" must be an integer/);
  });
});

describe('the run summary of replay --plain', () => {
  it('prints each group’s divergence as its loaded lanes give it, without reading a step line', async () => {
    const d = join(tempDir(), 'run');
    mkdirSync(d);
    for (const f of readdirSync(maze)) if (f !== INDEX_FILE) copyFileSync(join(maze, f), join(d, f));
    const slow = await ReplayModel.open(d, { cache: false });
    const expected = await Promise.all(slow.groups.map(async (ref) => `${ref.key}  ${ref.members.length} rollouts  ${divergenceLine(await slow.group(ref.key))}`));
    // Same size and mtime, nothing readable: the cached index is used, and any step read would fail.
    const steps = join(d, 'steps.jsonl');
    const when = new Date('2026-01-01T00:00:00Z');
    utimesSync(steps, when, when);
    await openIndex(d);
    writeFileSync(steps, 'x'.repeat(statSync(steps).size));
    utimesSync(steps, when, when);
    const model = await ReplayModel.open(d);
    expect(model.indexFromCache).toBe(true);
    let out = '';
    await renderPlain(model, {}, (s) => void (out += s));
    for (const line of expected) expect(out).toContain(line + '\n');
  });
});

describe('an index written by the previous version', () => {
  it('is rebuilt, never read, and one claiming this version without divergences is rebuilt too', async () => {
    const d = join(tempDir(), 'run');
    mkdirSync(d);
    for (const f of readdirSync(maze)) if (f !== INDEX_FILE) copyFileSync(join(maze, f), join(d, f));
    const fresh = (await openIndex(d)).index;
    const { divergence: _, ...v1 } = { ...fresh, version: 1 };
    writeFileSync(join(d, INDEX_FILE), JSON.stringify(v1));
    const reopened = await openIndex(d);
    expect(reopened.fromCache).toBe(false);
    expect(reopened.index).toEqual(fresh);
    expect(JSON.parse(readFileSync(join(d, INDEX_FILE), 'utf8')).version).toBe(2);
    writeFileSync(join(d, INDEX_FILE), JSON.stringify({ ...v1, version: 2 }));
    expect((await openIndex(d)).fromCache).toBe(false);
    expect((await openIndex(d)).fromCache).toBe(true);
  });
});
