/**
 * Which part of a group fits the screen: the lanes around the selected
 * rollout and the steps around the cursor, with every cell's label and
 * class. The components draw this snapshot as is. Pure.
 */
import { cellAt, stepAxis, visibleLanes, type CellView } from '../model/cells.js';
import type { GroupData } from '../model/group-data.js';
import type { NavState } from './nav.js';

export interface LaneRow {
  readonly lane: number;
  readonly title: string;
  readonly selected: boolean;
  readonly status: 'ok' | 'fail' | 'error';
  readonly cells: readonly CellView[];
}

export interface LaneWindow {
  /** The steps shown, left to right. */
  readonly columns: readonly number[];
  readonly cellWidth: number;
  readonly titleWidth: number;
  readonly rows: readonly LaneRow[];
  readonly hiddenAbove: number;
  readonly hiddenBelow: number;
  /** Shown lanes after the filter, and steps after the filter. */
  readonly laneCount: number;
  readonly stepCount: number;
}

const MIN_CELL = 3;
const MAX_CELL = 10;
/** How far around the cursor labels are measured to size the cells. */
const MEASURE_SPAN = 40;

export function laneWindow(data: GroupData, nav: NavState, width: number, maxRows: number): LaneWindow {
  const lanes = visibleLanes(data, nav.failedOnly);
  const axis = stepAxis(data, nav.divergentOnly);
  const maxIndex = data.lanes.reduce((m, l) => Math.max(m, l.rollout.index), 0);
  // '▸ ' + 'r<index>' + ' ' + status mark + ' '.
  const titleWidth = 2 + 1 + String(maxIndex).length + 3;

  // Rows: a window of lanes that keeps the selected one in view.
  const rowsFit = Math.max(1, maxRows);
  const sel = Math.max(0, lanes.indexOf(nav.lane));
  const top = Math.max(0, Math.min(sel - Math.floor(rowsFit / 2), lanes.length - rowsFit));
  const shown = lanes.slice(top, top + rowsFit);

  const pos = axis.count === 0 ? 0 : axis.nearest(nav.t);
  let cellWidth = MIN_CELL;
  for (let i = Math.max(0, pos - MEASURE_SPAN); i < Math.min(axis.count, pos + MEASURE_SPAN); i++) {
    const t = axis.at(i);
    for (const li of shown) {
      const c = cellAt(data, data.lanes[li], t);
      cellWidth = Math.max(cellWidth, c.label.length + (c.refused ? 1 : 0));
    }
    if (cellWidth >= MAX_CELL) break;
  }
  // Wide enough for the step numbers of the ruler too.
  cellWidth = Math.max(Math.min(MAX_CELL, cellWidth), axis.count > 0 ? String(axis.at(axis.count - 1)).length : 1);
  const fit = Math.max(1, Math.floor((width - titleWidth) / (cellWidth + 1)));
  const start = Math.max(0, Math.min(pos - Math.floor(fit / 2), axis.count - fit));
  const columns: number[] = [];
  for (let i = start; i < Math.min(axis.count, start + fit); i++) columns.push(axis.at(i));

  const rows = shown.map((li) => {
    const l = data.lanes[li];
    const r = l.rollout;
    const status: LaneRow['status'] = r.termination === 'error' ? 'error' : r.success === true ? 'ok' : 'fail';
    return { lane: li, title: `r${r.index}`, selected: li === nav.lane, status, cells: columns.map((t) => cellAt(data, l, t)) };
  });
  return { columns, cellWidth, titleWidth, rows, hiddenAbove: top, hiddenBelow: Math.max(0, lanes.length - top - shown.length), laneCount: lanes.length, stepCount: axis.count };
}
