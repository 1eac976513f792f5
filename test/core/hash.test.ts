/**
 * hashString is the name of every logged state and observation: its output
 * may never change without a schema bump. Pinned against literal values and
 * against the textbook formatting (Number#toString(16) of the 53-bit value)
 * that the table-driven hex replaced.
 */
import { describe, expect, it } from 'vitest';
import { hashString, hex53 } from '../../src/core/index.js';

/** cyrb53 over pairs of code units, formatted the slow, obvious way. */
function reference(str: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  let i = 0;
  for (; i + 1 < str.length; i += 2) {
    const ch = str.charCodeAt(i) | (str.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  if (i < str.length) {
    const ch = str.charCodeAt(i) ^ 0x5bd1e995;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

describe('hashString', () => {
  it('gives the values logs have always held', () => {
    expect(hashString('')).toBe('0bdcb81aee8d83');
    expect(hashString('a')).toBe('04fbf016e1c54b');
    expect(hashString('hello world')).toBe('1820916475dbee');
    expect(hashString('3,4')).toBe('09813f4ea68f5f');
    expect(hashString('x', 7)).toBe('1d4834f27dcd0d');
    expect(hashString('ünïcødé ☃')).toBe('0e27026da15bdf');
  });

  it('matches the reference on many strings and seeds, always 14 hex digits', () => {
    let s = '';
    for (let i = 0; i < 3000; i++) {
      s += String.fromCharCode(32 + ((i * 7919) % 95), (i * 104729) % 0xd7ff);
      const str = s.slice(i % 50, (i % 50) + (i % 97));
      const seed = i % 5;
      const h = hashString(str, seed);
      expect(h).toMatch(/^[0-9a-f]{14}$/);
      if (h !== reference(str, seed)) expect({ str, seed, h }).toEqual({ str, seed, h: reference(str, seed) });
    }
  });
});

describe('hex53', () => {
  it('prints what Number#toString(16) prints for the 53-bit value, padded to 14 digits', () => {
    const cases: [number, number][] = [[0, 0], [0x1fffff, 0xffffffff], [-1, -1], [0x12345678, 0x9abcdef0], [1, 0], [0, 1], [0xdeadbeef, 0x41c6ce57]];
    for (let i = 0; i < 2000; i++) cases.push([Math.imul(i, 2654435761), Math.imul(i ^ 0x5bd1e995, 1597334677)]);
    for (const [hi, lo] of cases) expect(hex53(hi, lo)).toBe((4294967296 * (0x1fffff & hi) + (lo >>> 0)).toString(16).padStart(14, '0'));
  });
});
