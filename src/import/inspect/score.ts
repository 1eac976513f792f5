/**
 * An Inspect score as a hotmess outcome. Values become numbers by Inspect's
 * own `value_to_float` rules: C → 1, P → 0.5, I and N → 0, numbers and
 * booleans as they are, "yes"/"true" → 1, "no"/"false" → 0, numeric strings
 * parsed, anything else 0. A list or dict value gives one item per element
 * (dicts in key order). The outcome is coverage against all ones; success
 * means every item is 1. NaN is Inspect's "unscored" sentinel. Pure.
 */
import type { LoggedOutcome } from '../../log/index.js';

const FINITE_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function valueToFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === 'C') return 1;
  if (value === 'P') return 0.5;
  if (value === 'I' || value === 'N') return 0;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'yes' || v === 'true') return 1;
    if (v === 'no' || v === 'false') return 0;
    if (FINITE_NUMBER.test(v.trim())) return Number(v);
  }
  return 0;
}

/** The score's items as numbers; null when the value is unscored (NaN) or empty. */
export function scoreItems(value: unknown): number[] | null {
  // Inspect serialises NaN (its unscored sentinel) as null.
  if (value === null || value === undefined) return null;
  const raw = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.values(value) : [value];
  if (raw.length === 0) return null;
  const items = raw.map(valueToFloat);
  return items.some((x) => !Number.isFinite(x)) ? null : items;
}

export function outcomeOf(value: unknown): LoggedOutcome | null {
  const items = scoreItems(value);
  if (items === null) return null;
  return { kind: 'coverage', value: items, target: items.map(() => 1), success: items.every((x) => x === 1) };
}
