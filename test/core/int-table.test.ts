import { describe, expect, it } from 'vitest';
import { IntTable } from '../../src/core/index.js';

describe('IntTable', () => {
  it('keeps every key it was given through growth and collisions, as a Map does', () => {
    const table = new IntTable();
    const map = new Map<number, number>();
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) | 0);
    for (let i = 0; i < 20000; i++) {
      // Keys from a small range collide often; extremes of int32 are keys too.
      const key = i % 3 === 0 ? rand() % 500 || 1 : i % 3 === 1 ? rand() || 1 : i % 2 ? 2147483647 : -2147483648;
      const value = i;
      if (!map.has(key)) {
        table.set(key, value);
        map.set(key, value);
      }
    }
    expect(table.size).toBe(map.size);
    for (const [k, v] of map) expect(table.get(k)).toBe(v);
    expect(table.get(123456789)).toBe(map.get(123456789) ?? -1);
    table.set(1, 42);
    expect(table.get(1)).toBe(42);
    expect(table.size).toBe(map.size + (map.has(1) ? 0 : 1));
  });
});
