/** Colours of the replay, by meaning. */
import type { CellKind } from '../model/cells.js';

export const CELL_COLOR: Record<CellKind, string> = {
  agree: 'green',
  shared: 'yellow',
  'lone-right': 'cyan',
  'lone-wrong': 'red',
  modal: 'white',
  off: 'magenta',
  ended: 'gray',
};

export const LEGEND: readonly { kind: CellKind; text: string }[] = [
  { kind: 'agree', text: 'modal = oracle' },
  { kind: 'shared', text: 'modal ≠ oracle (shared error)' },
  { kind: 'lone-right', text: 'off-mode, = oracle' },
  { kind: 'lone-wrong', text: 'off-mode ≠ oracle' },
  { kind: 'off', text: 'off-mode (no oracle)' },
  { kind: 'ended', text: 'ended' },
];
