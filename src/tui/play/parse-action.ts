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
