/** Parsing flag values: one integer parser, one message for every integer flag; one JSON-object parser. */
import { errorText, HotmessError } from '../core/index.js';

export interface IntRange {
  readonly min: number;
  readonly max?: number;
  /** What the error says is wanted (default: "an integer ≥ min"). */
  readonly expected?: string;
}

/** The integer `value` spells (digits only, within range), or null: the one rule. */
export function intValue(value: string, range: IntRange): number | null {
  const digits = value.trim();
  const n = Number(digits);
  return /^\d+$/.test(digits) && Number.isSafeInteger(n) && n >= range.min && (range.max === undefined || n <= range.max) ? n : null;
}

/** The integer a flag's value spells, or a usage error naming the flag. */
export function intFlag(flag: string, value: string, range: IntRange): number {
  const n = intValue(value, range);
  if (n === null) throw new HotmessError('usage', `${flag}: expected ${range.expected ?? `an integer ≥ ${range.min}`}, got "${value}"`);
  return n;
}

/** The range of a count: 1 or more, said as "a positive integer". */
export const POSITIVE: IntRange = { min: 1, expected: 'a positive integer' };

/** `intFlag` for a flag that may be absent. */
export const optionalIntFlag = (flag: string, value: string | undefined, range: IntRange): number | undefined =>
  value === undefined ? undefined : intFlag(flag, value, range);

/** A flag's JSON object (`--params '{"dictSize": 16}'`), or a usage error naming the flag. */
export function jsonObjectFlag(flag: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HotmessError('usage', `${flag}: not JSON: ${errorText(e)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HotmessError('usage', `${flag}: expected a JSON object, e.g. {"dictSize": 16}`);
  return v as Record<string, unknown>;
}

/** `intFlag` as a commander option parser. */
export const intParser =
  (flag: string, range: IntRange) =>
  (value: string): number =>
    intFlag(flag, value, range);
