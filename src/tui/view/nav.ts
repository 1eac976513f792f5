/**
 * Navigation state of the replay and how each command changes it. Pure:
 * the app holds the state and feeds commands; what is loaded (the current
 * group's lanes) comes in as context.
 */
import { stepAxis, visibleLanes } from '../model/cells.js';
import type { GroupData } from '../model/group-data.js';
import type { Cell, GroupRef } from '../model/groups.js';
import { nextDivergence } from '../model/lanes.js';
import type { Command } from './keys.js';

export interface NavState {
  readonly screen: 'overview' | 'group';
  readonly help: boolean;
  /** Selected overview row (a cell). */
  readonly row: number;
  /** Open group: an index into the run's groups. */
  readonly group: number;
  /** Cursor step. */
  readonly t: number;
  /** Selected lane: an index into the group's lanes. */
  readonly lane: number;
  readonly failedOnly: boolean;
  readonly divergentOnly: boolean;
  readonly quit: boolean;
  /** A group just opened whose cursor waits for its data, to start at the first divergence. */
  readonly placing: boolean;
}

export interface NavContext {
  readonly cells: readonly Cell[];
  readonly groups: readonly GroupRef[];
  /** The open group's lanes, when loaded. */
  readonly data: GroupData | null;
}

export function initialNav(init: Partial<NavState> = {}): NavState {
  return { screen: 'overview', help: false, row: 0, group: 0, t: 1, lane: 0, failedOnly: false, divergentOnly: false, quit: false, placing: false, ...init };
}

/**
 * Keep the cursor on a shown step and the selection on a shown lane. A group
 * just opened starts at its first divergence, where there is something to see.
 */
export function settle(s: NavState, data: GroupData | null): NavState {
  if (!data) return s;
  if (s.placing) s = { ...s, placing: false, t: nextDivergence(data.divergence.steps, 0, 1) ?? 1 };
  const axis = stepAxis(data, s.divergentOnly);
  const t = axis.count === 0 ? Math.max(1, Math.min(s.t, data.T)) : axis.at(axis.nearest(s.t));
  const lanes = visibleLanes(data, s.failedOnly);
  const lane = lanes.length === 0 || lanes.includes(s.lane) ? s.lane : lanes[0];
  return t === s.t && lane === s.lane ? s : { ...s, t, lane };
}

const openGroup = (s: NavState, group: number): NavState => ({ ...s, screen: 'group', group, t: 1, lane: 0, placing: true });

export function reduce(s: NavState, cmd: Command, ctx: NavContext): NavState {
  if (cmd === 'quit') return { ...s, quit: true };
  if (cmd === 'help') return { ...s, help: !s.help };
  if (s.help) return cmd === 'back' ? { ...s, help: false } : s;
  if (s.screen === 'overview') return reduceOverview(s, cmd, ctx);
  return reduceGroup(s, cmd, ctx);
}

function reduceOverview(s: NavState, cmd: Command, ctx: NavContext): NavState {
  const n = ctx.cells.length;
  switch (cmd) {
    case 'up':
      return { ...s, row: Math.max(0, s.row - 1) };
    case 'down':
      return { ...s, row: Math.min(Math.max(0, n - 1), s.row + 1) };
    case 'home':
      return { ...s, row: 0 };
    case 'end':
      return { ...s, row: Math.max(0, n - 1) };
    case 'open':
    case 'right': {
      const cell = ctx.cells[s.row];
      if (!cell) return s;
      return openGroup(s, ctx.groups.indexOf(cell.groups[0]));
    }
    default:
      return s;
  }
}

function reduceGroup(s: NavState, cmd: Command, ctx: NavContext): NavState {
  const { data } = ctx;
  switch (cmd) {
    case 'back': {
      const ref = ctx.groups[s.group];
      const row = ctx.cells.findIndex((c) => c.groups.includes(ref));
      return { ...s, screen: 'overview', row: row < 0 ? s.row : row };
    }
    case 'previous-group':
      return s.group > 0 ? openGroup(s, s.group - 1) : s;
    case 'next-group':
      return s.group < ctx.groups.length - 1 ? openGroup(s, s.group + 1) : s;
    case 'toggle-failed':
      return settle({ ...s, failedOnly: !s.failedOnly }, data);
    case 'toggle-diverging':
      return settle({ ...s, divergentOnly: !s.divergentOnly }, data);
    default:
      break;
  }
  if (!data) return s;
  const axis = stepAxis(data, s.divergentOnly);
  const pos = axis.count === 0 ? -1 : axis.nearest(s.t);
  const at = (i: number): NavState => (axis.count === 0 ? s : { ...s, t: axis.at(Math.max(0, Math.min(axis.count - 1, i))) });
  switch (cmd) {
    case 'left':
      return axis.count > 0 && axis.at(pos) >= s.t ? at(pos - 1) : at(pos);
    case 'right':
      return axis.count > 0 && axis.at(pos) <= s.t ? at(pos + 1) : at(pos);
    case 'home':
      return at(0);
    case 'end':
      return at(axis.count - 1);
    case 'next-divergence':
    case 'previous-divergence': {
      const t = nextDivergence(data.divergence.steps, s.t, cmd === 'next-divergence' ? 1 : -1);
      return t === null ? s : { ...s, t };
    }
    case 'up':
    case 'down': {
      const lanes = visibleLanes(data, s.failedOnly);
      if (lanes.length === 0) return s;
      const i = lanes.indexOf(s.lane);
      const j = i < 0 ? 0 : Math.max(0, Math.min(lanes.length - 1, i + (cmd === 'down' ? 1 : -1)));
      return { ...s, lane: lanes[j] };
    }
    default:
      return s;
  }
}
