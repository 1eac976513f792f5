/**
 * The replay's keys: one table drives both input handling and the `?`
 * help screen, so the two cannot drift apart. Pure.
 */
import type { Key } from 'ink';

export type Command =
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'next-divergence'
  | 'previous-divergence'
  | 'up'
  | 'down'
  | 'previous-group'
  | 'next-group'
  | 'toggle-failed'
  | 'toggle-diverging'
  | 'open'
  | 'back'
  | 'help'
  | 'quit';

export interface Binding {
  readonly keys: string;
  readonly help: string;
  readonly command: Command;
  matches(input: string, key: Key): boolean;
}

export const BINDINGS: readonly Binding[] = [
  { keys: '← / →  (h / l)', help: 'previous / next step', command: 'left', matches: (i, k) => k.leftArrow || i === 'h' },
  { keys: '', help: '', command: 'right', matches: (i, k) => k.rightArrow || i === 'l' },
  { keys: 'Home / End  (g / G)', help: 'first / last step', command: 'home', matches: (i, k) => k.home || i === 'g' },
  { keys: '', help: '', command: 'end', matches: (i, k) => k.end || i === 'G' },
  { keys: 'n / p', help: 'next / previous divergence step', command: 'next-divergence', matches: (i) => i === 'n' },
  { keys: '', help: '', command: 'previous-divergence', matches: (i) => i === 'p' },
  { keys: '↑ / ↓  (k / j)', help: 'choose a rollout (overview: choose a row)', command: 'up', matches: (i, k) => k.upArrow || i === 'k' },
  { keys: '', help: '', command: 'down', matches: (i, k) => k.downArrow || i === 'j' },
  { keys: '[ / ]', help: 'previous / next group', command: 'previous-group', matches: (i) => i === '[' },
  { keys: '', help: '', command: 'next-group', matches: (i) => i === ']' },
  { keys: 'f', help: 'only failed or errored rollouts (toggle)', command: 'toggle-failed', matches: (i) => i === 'f' },
  { keys: 'd', help: 'only steps where rollouts diverge (toggle)', command: 'toggle-diverging', matches: (i) => i === 'd' },
  // Enter arrives as \r (key.return) in raw mode, but as \n from terminals that still map CR to NL (tmux's send-keys Enter, some ptys).
  { keys: 'Enter', help: 'open the selected row of the overview', command: 'open', matches: (i, k) => k.return || i === '\n' || i === '\r' },
  { keys: 'Esc / o', help: 'back to the overview (closes help)', command: 'back', matches: (i, k) => k.escape || i === 'o' },
  { keys: '?', help: 'this help (toggle)', command: 'help', matches: (i) => i === '?' },
  { keys: 'q', help: 'quit', command: 'quit', matches: (i) => i === 'q' },
];

/** The command a key press means, if any. */
export function commandFor(input: string, key: Key): Command | null {
  for (const b of BINDINGS) if (b.matches(input, key)) return b.command;
  return null;
}

/** Help lines: one per documented binding (pairs share a line). */
export const HELP_LINES: readonly { keys: string; help: string }[] = BINDINGS.filter((b) => b.keys !== '').map((b) => ({ keys: b.keys, help: b.help }));
