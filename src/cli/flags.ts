/** Parsing flag values: one integer parser, one message for every integer flag. */
import { HotmessError } from '../core/index.js';

export interface IntRange {
  readonly min: number;
  readonly max?: number;
  /** What the error says is wanted (default: "an integer ≥ min"). */
  readonly expected?: string;
}

/** The integer a flag's value spells (digits only, within range), or a usage error naming the flag. */
export function intFlag(flag: string, value: string, range: IntRange): number {
  const digits = value.trim();
  const n = Number(digits);
  if (!/^\d+$/.test(digits) || !Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
    throw new HotmessError('usage', `${flag}: expected ${range.expected ?? `an integer ≥ ${range.min}`}, got "${value}"`);
  }
  return n;
}

/** The range of a count: 1 or more, said as "a positive integer". */
export const POSITIVE: IntRange = { min: 1, expected: 'a positive integer' };

/** `intFlag` for a flag that may be absent. */
export const optionalIntFlag = (flag: string, value: string | undefined, range: IntRange): number | undefined =>
  value === undefined ? undefined : intFlag(flag, value, range);

/** `intFlag` as a commander option parser. */
export const intParser =
  (flag: string, range: IntRange) =>
  (value: string): number =>
    intFlag(flag, value, range);
