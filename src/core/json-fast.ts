/**
 * JSON for the shapes a step line holds (number vectors, immer patches),
 * written without JSON.stringify's generic walk. Each function returns
 * exactly what JSON.stringify returns for its input, so logs do not change;
 * anything outside the expected shape goes to JSON.stringify. Pure; no I/O.
 */
import { FrozenJson } from './frozen-json.js';

/** JSON.stringify(n) for a number: non-finite values are null. */
export const numberJson = (n: number): string => (n === n && n !== Infinity && n !== -Infinity ? '' + n : 'null');

/** Frozen vectors (hanoi's one-hot vectors, quadratic's reference points) are printed once each. */
const frozen = new FrozenJson();

/**
 * The JSON of the arrays printed into one step line, by identity: a state's
 * vector is often printed twice in a line (quadratic's x in the patch and
 * again as the features). The writer of the line calls `clear()` before
 * each line, so an array changed after its line was written is never printed
 * from memory; within a line the state is not written (transitions and
 * `measure`/`features` are pure). Holds the line's first few arrays.
 */
export class LineVectors {
  private readonly arrays: (readonly unknown[] | null)[] = [null, null, null, null];
  private readonly jsons: string[] = ['', '', '', ''];
  private count = 0;
  clear(): void {
    for (let i = 0; i < this.count; i++) this.arrays[i] = null;
    this.count = 0;
  }
  /** JSON.stringify(v) for an array, printed once per line. */
  of(v: readonly unknown[]): string {
    const n = this.count;
    for (let i = 0; i < n; i++) if (this.arrays[i] === v) return this.jsons[i];
    const json = arrayJson(v);
    if (n < this.arrays.length) {
      this.arrays[n] = v;
      this.jsons[n] = json;
      this.count = n + 1;
    }
    return json;
  }
}

/** JSON.stringify(v) for a number or an array of numbers; `line` remembers the line's arrays. */
export function vectorJson(v: unknown, line?: LineVectors): string {
  if (typeof v === 'number') return numberJson(v);
  if (!Array.isArray(v)) return JSON.stringify(v);
  return line === undefined ? arrayJson(v) : line.of(v);
}

/** JSON.stringify(v) for an array: frozen ones through the memo, the number fast path for the rest. */
const arrayJson = (v: readonly unknown[]): string => (Object.isFrozen(v) ? frozen.of(v, numbersJson) : numbersJson(v));

/** JSON.stringify(v) for an array, by the number fast path when it holds only numbers. */
function numbersJson(v: readonly unknown[]): string {
  const n = v.length;
  if (n === 0) return '[]';
  let s = '[';
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (typeof x !== 'number') return JSON.stringify(v);
    s += (i === 0 ? '' : ',') + numberJson(x);
  }
  return s + ']';
}

/** JSON of a primitive or an array (by `vectorJson`), or JSON.stringify for anything else. */
function valueJson(v: unknown, line: LineVectors | undefined): string {
  switch (typeof v) {
    case 'number':
      return numberJson(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (Array.isArray(v)) return line === undefined ? arrayJson(v) : line.of(v);
      return v === null ? 'null' : (JSON.stringify(v) as string);
  }
}

interface PatchLike {
  readonly op: string;
  readonly path: readonly unknown[];
  readonly value?: unknown;
}

/** Quoted strings met again and again (patch ops, state keys): JSON.stringify once each. */
const quoted = new Map<string, string>();
function quote(k: string): string {
  let j = quoted.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (quoted.size < 4096 && k.length <= 64) quoted.set(k, j);
  }
  return j;
}

/**
 * JSON.stringify(patches) for immer patches: `{op, path, value?}` with the
 * keys in that order and a path of strings and numbers. A patch of any
 * other shape sends the whole list to JSON.stringify. `line` as in `vectorJson`.
 */
export function patchesJson(patches: readonly unknown[], line?: LineVectors): string {
  const n = patches.length;
  if (n === 0) return '[]';
  let s = '[';
  for (let i = 0; i < n; i++) {
    const p = patches[i] as PatchLike;
    if (!isPatchShape(p)) return JSON.stringify(patches);
    if (i > 0) s += ',';
    s += '{"op":' + quote(p.op) + ',"path":[';
    const path = p.path;
    for (let j = 0; j < path.length; j++) {
      const k = path[j];
      if (j > 0) s += ',';
      s += typeof k === 'number' ? numberJson(k) : quote(k as string);
    }
    s += ']';
    if (p.value !== undefined) s += ',"value":' + valueJson(p.value, line);
    s += '}';
  }
  return s + ']';
}

/** A plain object whose own keys are exactly op, path (strings and numbers) and optionally value, in that order: what immer builds. */
function isPatchShape(p: unknown): p is PatchLike {
  if (typeof p !== 'object' || p === null || Object.getPrototypeOf(p) !== Object.prototype) return false;
  const keys = Object.keys(p);
  if (keys.length < 2 || keys.length > 3 || keys[0] !== 'op' || keys[1] !== 'path' || (keys.length === 3 && keys[2] !== 'value')) return false;
  const { op, path } = p as PatchLike;
  if (typeof op !== 'string' || !Array.isArray(path)) return false;
  for (let j = 0; j < path.length; j++) if (typeof path[j] !== 'string' && typeof path[j] !== 'number') return false;
  return true;
}
