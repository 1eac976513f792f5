/**
 * The pure parts of the replay: where lanes split, how cells are classed,
 * how the keys move the cursor, how patches read, and the plain helpers.
 * Expected values are worked out by hand in each test.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { analyseLanes, describePatches, firstDivergence, nextDivergence, sparkline } from '../../src/tui/index.js';
import { cellAt, cellMarks, stepAxis } from '../../src/tui/model/cells.js';
import type { GroupData, Lane } from '../../src/tui/model/group-data.js';
import type { IndexedRollout } from '../../src/tui/model/run-index.js';
import { callInfo } from '../../src/tui/model/step-info.js';
import { commandFor, HELP_LINES, BINDINGS } from '../../src/tui/view/keys.js';
import { laneWindow } from '../../src/tui/view/layout.js';
import { initialNav, reduce, settle, type NavContext } from '../../src/tui/view/nav.js';
import { actionText } from '../../src/tui/model/patches.js';
import { packLines } from '../../src/tui/play/pack.js';
import { parseTyped, pickDiscrete } from '../../src/tui/play/parse-action.js';
import { z } from 'zod';

/** A group from action letters per rollout ("NNES"), oracle "N" at every step. */
function group(seqs: string[], success: boolean[] = seqs.map(() => true)): GroupData {
  const keys: string[] = [];
  const id = (k: string) => (keys.includes(k) ? keys.indexOf(k) : keys.push(k) - 1);
  const oracle = id('"N"');
  const lanes: Lane[] = seqs.map((s, i) => {
    const rollout: IndexedRollout = { id: `a:9:0:${i}`, agent: 'a', horizon: 9, instance: 0, index: i, length: s.length, termination: 'terminated', success: success[i], return: null, error: null, envSeed: null, steps: s.length, ranges: [] };
    const n = s.length;
    return {
      rollout,
      len: n,
      actions: Int32Array.from([...s].map((c) => id(JSON.stringify(c)))),
      oracle: new Int32Array(n).fill(oracle),
      flags: new Uint8Array(n),
      offsets: new Float64Array(n),
      sizes: new Int32Array(n),
    };
  });
  const T = Math.max(...seqs.map((s) => s.length));
  return { ref: { key: 'a:9:0', agent: 'a', horizon: 9, instance: 0, members: lanes.map((l) => l.rollout) }, lanes, keys, T, divergence: analyseLanes(lanes, keys.length, T) };
}

describe('analyseLanes', () => {
  it('marks the steps where prefix classes split, the first one, and the modal action', () => {
    // t=1 all N; t=2 r2 leaves (E); t=3 r0,r1 split (S vs N); t=4 only r2 is left: no new split.
    const g = group(['NNSN', 'NNNN', 'NEEE']);
    expect(g.divergence.steps).toEqual([2, 3]);
    expect(g.divergence.first).toBe(2);
    expect(Array.from(g.divergence.classes)).toEqual([1, 2, 3, 3]);
    // Modal at t=3: S, N, E once each → the lowest rollout's (S).
    expect(Array.from(g.divergence.modal, (m) => g.keys[m])).toEqual(['"N"', '"N"', '"S"', '"N"']);
  });

  it('counts an ended rollout as taking END: a shorter rollout splits off where it stops', () => {
    const g = group(['NN', 'NNN', 'NNN']);
    expect(g.divergence.steps).toEqual([3]);
    expect(group(['NN', 'NN']).divergence.first).toBeNull();
  });

  it('finds the next and previous divergence', () => {
    expect(nextDivergence([2, 5, 9], 2, 1)).toBe(5);
    expect(nextDivergence([2, 5, 9], 9, 1)).toBeNull();
    expect(nextDivergence([2, 5, 9], 5, -1)).toBe(2);
    expect(nextDivergence([2, 5, 9], 2, -1)).toBeNull();
  });
});

describe('cells', () => {
  it('class each cell against the modal action and the oracle', () => {
    // t=1: N N E → modal N = oracle. t=2: S S N → modal S ≠ oracle N.
    const g = group(['NS', 'NS', 'EN']);
    const kinds = (t: number) => g.lanes.map((l) => cellAt(g, l, t).kind);
    expect(kinds(1)).toEqual(['agree', 'agree', 'lone-wrong']);
    expect(kinds(2)).toEqual(['shared', 'shared', 'lone-right']);
    expect(cellMarks(cellAt(g, g.lanes[2], 1))).toBe('*~');
    expect(cellAt(g, g.lanes[0], 3)).toEqual({ label: '·', kind: 'ended', refused: false });
  });

  it('steps along all steps or only the divergence steps', () => {
    const g = group(['NNSN', 'NNNN', 'NEEE']);
    const all = stepAxis(g, false);
    expect([all.count, all.at(0), all.nearest(9)]).toEqual([4, 1, 3]);
    const div = stepAxis(g, true);
    expect([div.count, div.at(0), div.at(1), div.nearest(1), div.nearest(3), div.nearest(4)]).toEqual([2, 2, 3, 0, 1, 1]);
  });
});

const key = (k: Partial<Key>): Key => k as Key;

describe('keys and navigation', () => {
  const g = group(['NNSNN', 'NNNNN', 'NEEEE', 'NNNNN'], [true, false, false, true]);
  const ctx: NavContext = { cells: [{ agent: 'a', horizon: 9, groups: [g.ref] }], groups: [g.ref], data: g };
  const run = (cmds: Parameters<typeof reduce>[1][], from = initialNav({ screen: 'group' })) => cmds.reduce((s, c) => reduce(s, c, ctx), from);

  it('maps keys to commands, and help lists every command', () => {
    expect(commandFor('', key({ rightArrow: true }))).toBe('right');
    expect(commandFor('', key({ home: true }))).toBe('home');
    expect(commandFor('n', key({}))).toBe('next-divergence');
    expect(commandFor('', key({ downArrow: true }))).toBe('down');
    expect(commandFor('?', key({}))).toBe('help');
    expect(commandFor('q', key({}))).toBe('quit');
    expect(commandFor('z', key({}))).toBeNull();
    // Every command has a binding, and every binding's help line names it (pairs share a line).
    expect(HELP_LINES.length).toBe(BINDINGS.filter((b) => b.keys !== '').length);
    for (const k of ['←', '→', 'Home', 'End', 'n / p', '↑', '↓', 'f', 'd', '?', 'q']) expect(HELP_LINES.some((l) => l.keys.includes(k))).toBe(true);
  });

  it('moves the cursor by step, to the ends, and between divergences', () => {
    expect(run(['right', 'right']).t).toBe(3);
    expect(run(['right', 'left', 'left']).t).toBe(1);
    expect(run(['end']).t).toBe(5);
    expect(run(['end', 'home']).t).toBe(1);
    // Divergence steps: 2 (r2 leaves) and 3 (r0 leaves).
    expect(run(['next-divergence']).t).toBe(2);
    expect(run(['next-divergence', 'next-divergence', 'next-divergence']).t).toBe(3);
    expect(run(['end', 'previous-divergence']).t).toBe(3);
  });

  it('chooses rollouts and filters lanes and steps', () => {
    expect(run(['down', 'down']).lane).toBe(2);
    expect(run(['up']).lane).toBe(0);
    // Only failed rollouts (1 and 2): the selection moves onto a shown lane.
    const f = run(['toggle-failed']);
    expect([f.failedOnly, f.lane]).toEqual([true, 1]);
    expect(run(['toggle-failed', 'down', 'down']).lane).toBe(2);
    // Only divergence steps: the cursor snaps onto one and moves among them.
    const d = run(['toggle-diverging']);
    expect([d.t, run(['toggle-diverging', 'right']).t, run(['toggle-diverging', 'right', 'right']).t]).toEqual([2, 3, 3]);
  });

  it('regression: Enter did nothing from tmux, which sends it as a newline', () => {
    expect(commandFor('\r', key({ return: true }))).toBe('open');
    expect(commandFor('\n', key({}))).toBe('open');
  });

  it('opens a group at its first divergence once the group has loaded', () => {
    const opened = reduce(initialNav(), 'open', ctx);
    expect(opened.placing).toBe(true);
    const placed = settle(opened, g);
    expect([placed.t, placed.placing]).toEqual([2, false]);
    // Once placed, the cursor stays where the user moves it.
    expect(settle(reduce(placed, 'home', ctx), g).t).toBe(1);
    // A group that never splits opens at t = 1.
    const same = group(['NNN', 'NNN']);
    expect(settle(reduce(initialNav(), 'open', { ...ctx, data: same }), same).t).toBe(1);
  });

  it('opens a group from the overview and goes back; help and quit', () => {
    const s = reduce(initialNav(), 'open', ctx);
    expect([s.screen, s.group, s.t]).toEqual(['group', 0, 1]);
    expect(reduce(s, 'back', ctx).screen).toBe('overview');
    const h = reduce(s, 'help', ctx);
    expect(h.help).toBe(true);
    // While help is open, navigation keys do nothing; Esc closes it.
    expect(reduce(h, 'right', ctx)).toBe(h);
    expect(reduce(h, 'back', ctx).help).toBe(false);
    expect(reduce(s, 'quit', ctx).quit).toBe(true);
  });

  it('lays out a window that keeps the cursor and the selected lane in view', () => {
    const long = group(Array.from({ length: 9 }, (_, i) => 'N'.repeat(40 + i)));
    const w = laneWindow(long, { ...initialNav({ screen: 'group' }), t: 30, lane: 8 }, 60, 4);
    expect(w.columns).toContain(30);
    expect(w.rows.map((r) => r.lane)).toContain(8);
    expect(w.rows.length).toBe(4);
    expect([w.hiddenAbove, w.hiddenBelow]).toEqual([5, 0]);
    expect(w.titleWidth + w.columns.length * (w.cellWidth + 1)).toBeLessThanOrEqual(60);
  });
});

describe('patches, sparkline, packing, typed actions, model calls', () => {
  it('renders immer patches with the value before when the state is known', () => {
    const patches = [
      { op: 'replace', path: ['sum'], value: 7 },
      { op: 'add', path: ['items', 2], value: 'k' },
      { op: 'remove', path: ['items', 0] },
    ];
    expect(describePatches(patches, { sum: 3, items: ['a', 'b'] })).toEqual(['sum: 3 → 7', '+ items.2 = "k"', '− items.0 (was "a")']);
    expect(describePatches(patches)).toEqual(['sum = 7', '+ items.2 = "k"', '− items.0']);
  });

  it('draws survival on an absolute scale, resampled to the width', () => {
    expect(sparkline([1, 0.5, 0, null], 4)).toBe('█▅▁ ');
    expect(sparkline([1, 1, 0, 0], 2)).toBe('█▁');
  });

  it('packs a dictionary of short lines into columns', () => {
    const text = ['rules:', ...Array.from({ length: 6 }, (_, i) => `w${i}: ${i}`)].join('\n');
    expect(packLines(text, 24, 10).rows).toEqual(['rules:', 'w0: 0   w2: 2   w4: 4', 'w1: 1   w3: 3   w5: 5']);
    expect(packLines(text, 24, 2)).toEqual({ rows: ['rules:', 'w0: 0   w2: 2   w4: 4'], hidden: 1 });
  });

  it('validates typed actions with the space schema', () => {
    const space = { kind: 'continuous' as const, schema: z.number().int(), description: 'an integer' };
    expect(parseTyped(space, ' -43 ')).toEqual({ ok: true, action: -43 });
    expect(parseTyped(space, '4.5').ok).toBe(false);
    expect(parseTyped(space, 'abc')).toEqual({ ok: false, reason: expect.stringContaining('not a valid action (an integer)') });
    const discrete = { kind: 'discrete' as const, actions: ['N', 'E'] };
    expect(parseTyped(discrete, 'E')).toEqual({ ok: true, action: 'E' });
    expect(pickDiscrete(discrete, 1)).toEqual({ ok: true, action: 'E' });
    expect(pickDiscrete(discrete, 5).ok).toBe(false);
  });

  it('reads tokens, latency and text of a model call from info and timing', () => {
    const c = callInfo({ rollout: 'r', t: 1, action: 1, info: { inputTokens: 120, outputTokens: 8, text: 'I add 5.', stopReason: 'tool_use', observation: 'x' }, timing: { latencyMs: 1500 } });
    expect(c).toEqual({ tokens: 'inputTokens 120 · outputTokens 8', latency: '1.50 s', text: 'I add 5.', other: ['stopReason="tool_use"'] });
  });
});

describe('actions for reading', () => {
  it('shows a tool call by its name first, so a cut keeps the name (τ-bench showed {"args":{…)', () => {
    const call = { tool: 'book_reservation', args: { user_id: 'mia_li_3668', flight: 'HAT136', cabin: 'economy' } };
    expect(actionText(call, 200)).toBe('book_reservation({"cabin":"economy","flight":"HAT136","user_id":"mia_li_3668"})');
    const cut = actionText(call, 30);
    expect(cut.startsWith('book_reservation(')).toBe(true);
    expect(cut.length).toBe(30);
    expect(cut.endsWith('…)')).toBe(true);
    expect(actionText({ tool: 'think' }, 40)).toBe('think()');
    expect(actionText({ from: 'A', to: 'C' }, 40)).toBe('{"from":"A","to":"C"}');
    expect(actionText('N', 40)).toBe('"N"');
  });
});

describe('firstDivergence', () => {
  it('is the first step where S(t) < 1, by hand and as analyseLanes finds it on seeded random lanes', () => {
    const lanes = (seqs: number[][]) => seqs.map((s) => ({ len: s.length, actions: Int32Array.from(s) }));
    expect(firstDivergence(lanes([[1, 2, 3], [1, 2, 4]]))).toBe(3);
    // A rollout that ends while another goes on diverges (END is an action of its own); ending together does not.
    expect(firstDivergence(lanes([[1, 2], [1, 2, 3]]))).toBe(3);
    expect(firstDivergence(lanes([[1, 2], [1, 2]]))).toBeNull();
    expect(firstDivergence(lanes([[1, 2]]))).toBeNull();
    expect(firstDivergence([])).toBeNull();
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let k = 0; k < 300; k++) {
      const n = 1 + rand(5);
      const base = Array.from({ length: 1 + rand(12) }, () => rand(3));
      const seqs = Array.from({ length: n }, () => {
        const s = base.slice(0, base.length - rand(3));
        if (rand(3) === 0 && s.length > 0) s[rand(s.length)] = rand(3);
        return s;
      });
      const T = Math.max(...seqs.map((s) => s.length));
      expect(firstDivergence(lanes(seqs))).toBe(analyseLanes(lanes(seqs), 3, T).first);
    }
  });
});
