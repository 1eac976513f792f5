/** canonicalJson: keys sorted by code units at every level, undefined members dropped, no whitespace. */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/index.js';

/** The obvious way: sort every object's keys, then JSON.stringify. */
function reference(v: unknown): string {
  const sortDeep = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map((e) => (e === undefined ? null : sortDeep(e)));
    if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sortDeep(o[k])]));
    }
    return typeof x === 'number' && !Number.isFinite(x) ? null : x;
  };
  // Object.fromEntries re-orders integer-like keys; build the text by hand for objects.
  const text = (x: unknown): string => {
    if (Array.isArray(x)) return '[' + x.map(text).join(',') + ']';
    if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      return '{' + Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => JSON.stringify(k) + ':' + text(o[k])).join(',') + '}';
    }
    return JSON.stringify(sortDeep(x));
  };
  return text(v);
}

describe('canonicalJson', () => {
  it('matches sorting every level by hand, in and out of key order', () => {
    const cases: unknown[] = [
      { from: 'A', to: 'C' },
      { to: 'C', from: 'A' },
      { restock: 10, price: 'mid' },
      { b: { z: 1, a: [3, { y: 2, x: 1 }] }, a: null },
      { 10: 'a', 9: 'b', x: 1, '': 2, é: 3, E: 4 },
      { a: undefined, b: 1 },
      [{ c: 1, b: 2 }, 'x', 1.5, -0, true, null],
      { '"quoted"': 1, 'line\nbreak': 2 },
      ['N', 'N', 'a"b', 'tab\t', 'ü', '\u2028', 'x'.repeat(16), 'y'.repeat(17), ''],
    ];
    for (const c of cases) expect(canonicalJson(c)).toBe(reference(c));
    expect(canonicalJson({ to: 'C', from: 'A' })).toBe('{"from":"A","to":"C"}');
    expect(canonicalJson({ 10: 'a', 9: 'b' })).toBe('{"10":"a","9":"b"}');
  });
});
