/**
 * What the person typed or picked, as an action of the current space:
 * discrete spaces by position; numeric spaces from typed text read as JSON
 * (a bare word is taken as a string) and checked with the space's zod
 * schema. Pure.
 */
import { checkAction, type Action, type ActionSpace } from '../../core/index.js';

export type Parsed = { readonly ok: true; readonly action: Action } | { readonly ok: false; readonly reason: string };

export function parseTyped(space: ActionSpace, text: string): Parsed {
  const s = text.trim();
  if (s.length === 0) return { ok: false, reason: 'type an action first' };
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch {
    value = s;
  }
  const problem = checkAction(space, value);
  return problem === null ? { ok: true, action: value as Action } : { ok: false, reason: problem };
}

export function pickDiscrete(space: ActionSpace, index: number): Parsed {
  if (space.kind !== 'discrete') return { ok: false, reason: 'this action space is numeric: type a value' };
  const a = space.actions[index];
  return a === undefined ? { ok: false, reason: `no action number ${index + 1}` } : { ok: true, action: a };
}

/**
 * The keys that pick a discrete action directly: 1–9, then letters, skipping
 * q (quit) and ? (help is not a letter). 34 in all; a longer list is reached
 * with ↑/↓ as well.
 */
export const ACTION_KEYS = '123456789abcdefghijklmnoprstuvwxyz';

/** The key of the action at `index`, or null past the last key. */
export const actionKey = (index: number): string | null => ACTION_KEYS[index] ?? null;

/** The action index a key picks, or null when the key picks none. */
export function indexOfKey(ch: string): number | null {
  const i = ch.length === 1 ? ACTION_KEYS.indexOf(ch) : -1;
  return i < 0 ? null : i;
}
