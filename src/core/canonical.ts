/**
 * Canonical serialisation and hashing. Actions are compared by their canonical
 * key; states and observations are logged by hash. Pure; no I/O.
 */
import { FrozenJson } from './frozen-json.js';

/** Stable JSON: object keys sorted, no whitespace. Numbers as JSON.stringify prints them. */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      // Short strings recur (maze's 'N'…'W', workflow's events): quoted once each.
      return value.length <= 16 ? quotedKey(value) : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      return Object.isFrozen(value) ? frozen.of(value, canonicalJsonOf) : canonicalJsonOf(value);
    }
    default:
      throw new TypeError(`cannot serialise a ${typeof value}`);
  }
}

/** Frozen actions (inventory's orders, hanoi's moves) are printed once each. */
const frozen = new FrozenJson();

/** canonicalJson of a non-null object or array, without the memo. */
function canonicalJsonOf(value: object): string {
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) s += ',';
      s += canonicalJson(value[i]);
    }
    return s + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Small literals are often written in key order already: sort only when they are not.
  for (let i = 1; i < keys.length; i++)
    if (keys[i - 1] > keys[i]) {
      keys.sort();
      break;
    }
  let s = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += quotedKey(k) + ':' + canonicalJson(v);
  }
  return s + '}';
}

/** Object keys and short strings met again and again (action fields, directions): JSON.stringify once each. */
const keyJson = new Map<string, string>();
function quotedKey(k: string): string {
  let j = keyJson.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (keyJson.size < 4096 && k.length <= 64) keyJson.set(k, j);
  }
  return j;
}

/**
 * 53-bit string hash (cyrb53, two code units per round), as 14 hex digits. Not cryptographic:
 * it names states, observations and action prefixes, where speed matters.
 */
export function hashString(str: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  const n = str.length;
  let i = 0;
  // Two UTF-16 code units per round: half the multiplications on the hot path.
  for (; i + 1 < n; i += 2) {
    const ch = str.charCodeAt(i) | (str.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  if (i < n) {
    const ch = str.charCodeAt(i) ^ 0x5bd1e995;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex53(h2, h1);
}

/**
 * The 53-bit value (the low 21 bits of `hi` above the 32 of `lo`) as 14 hex
 * digits, what `(2**32 * hi21 + lo).toString(16).padStart(14, '0')` prints,
 * byte by byte from a table: Number#toString(16) on a double costs about a
 * microsecond, more than the hashing.
 */
export function hex53(hi: number, lo: number): string {
  const h = hi & 0x1fffff;
  return HEX2[h >>> 16] + HEX2[(h >>> 8) & 255] + HEX2[h & 255] + HEX2[lo >>> 24] + HEX2[(lo >>> 16) & 255] + HEX2[(lo >>> 8) & 255] + HEX2[lo & 255];
}

/** Two hex digits per byte value. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hash of a value's canonical JSON. */
export const hashValue = (value: unknown): string => hashString(canonicalJson(value));

/** The canonical key by which two actions are compared. */
export const actionKey = (action: unknown): string => canonicalJson(action);
