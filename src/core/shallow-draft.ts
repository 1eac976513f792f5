/**
 * A cheaper stand-in for immer's `produce` with a patch listener, for the
 * transitions that assign top-level fields of a plain-object state (maze,
 * kv-sum, inventory, workflow, quadratic) or indices of the plain arrays it
 * holds, arrays in arrays included (hanoi's pegs, quiz's chunks of answers):
 * the root draft is one reused proxy over a shallow copy, and the patches are
 * built as immer builds them for such a step. At the root
 * (`generatePatchesFromAssigned`): one `{op, path: [key], value}` per
 * assigned key, in first-assignment order, `replace` for an own key of the
 * base and `add` otherwise, none for a key whose final value is the base's
 * own. In an array (`generateArrayPatches`): `replace` for each assigned
 * index below the base's length whose value changed, in index order, then
 * `add` for each index past it; an array's patches come before its parent's,
 * arrays in the reverse order of their drafting (immer's finalization
 * callbacks run last-in first-out). The next state is the base itself when
 * nothing was modified, otherwise a `{...base}` copy with the writes, each
 * modified array a copy of its base with its writes, as immer returns it
 * (auto-freeze is off).
 *
 * Anything else the transition does to the draft (reads a nested plain
 * object, which immer would draft; calls an array method, writes an array's
 * length or past its end; deletes; lists keys; reads a symbol or an inherited
 * property; assigns an immer draft or over a drafted array) makes the attempt
 * bail: the caller discards it and runs the transition again under immer.
 * Transitions are pure, so running one twice is safe, and the base is never
 * written. test/core/shallow-draft.test.ts holds both paths byte-equal over
 * every environment.
 *
 * Pure; no I/O.
 */
import { isDraft, isDraftable } from 'immer';

/** Thrown through the transition when it does something only immer records; a plain object: no stack to capture. */
const BAIL: { readonly bail: true } = Object.freeze({ bail: true });

const hasOwn = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** One live attempt: the proxy's target, reused across steps (one per nesting depth). */
class Attempt {
  base: Record<string, unknown> = {};
  /** The shallow copy, made at the first write that changes a value (immer's `prepareCopy` + `markChanged`). */
  copy: Record<string, unknown> | null = null;
  /** Assigned keys in first-assignment order (immer's `assigned_` map): the first `assigned` of `keys` (reused; setting an array's length is slow). */
  readonly keys: string[] = [];
  assigned = 0;
  bailed = false;
  live = false;
  readonly draft: object;
  /** Array drafts, reused across steps; the first `drafted` are this step's, in drafting order. */
  readonly arrays: ArrayDraft[] = [];
  drafted = 0;
  constructor() {
    this.draft = new Proxy(this, TRAPS as ProxyHandler<Attempt>);
  }
  bail(): never {
    this.bailed = true;
    throw BAIL;
  }

  /** This step's draft of the array at `key` of `parent`, if there is one. */
  arrayAt(parent: Attempt | ArrayDraft, key: string | number): ArrayDraft | null {
    for (let i = 0; i < this.drafted; i++) {
      const d = this.arrays[i];
      if (d.parent === parent && d.key === key) return d;
    }
    return null;
  }

  /** Draft `base`, the array at `key` of `parent` (immer drafts an array the first time it is read). */
  draftArray(parent: Attempt | ArrayDraft, key: string | number, base: unknown[]): ArrayDraft {
    const d = this.arrays[this.drafted] ?? (this.arrays[this.drafted] = new ArrayDraft(this));
    this.drafted++;
    d.parent = parent;
    d.key = key;
    d.base = base;
    d.copy = null;
    d.assignedCount = 0;
    d.live = true;
    return d;
  }

  /** immer's `markChanged` at the root: the shallow copy is made once, at the first change. */
  changed(): Record<string, unknown> {
    return (this.copy ??= { ...this.base });
  }
}

/**
 * The draft of a plain array the state holds (at the root or in another such
 * array), as immer drafts it on first read: index reads and writes, `length`.
 */
class ArrayDraft {
  parent: Attempt | ArrayDraft | null = null;
  key: string | number = '';
  base: unknown[] = EMPTY_ARRAY;
  /** The copy, made at the first write that changes a value here or below (immer's `prepareCopy` + `markChanged`). */
  copy: unknown[] | null = null;
  /** Assigned indices in first-assignment order (immer's `assigned_`): the first `assignedCount` of `assigned` (reused). */
  readonly assigned: number[] = [];
  assignedCount = 0;
  live = false;
  /** The proxy; its target is an array (as immer's), so Array.isArray holds for the draft. */
  readonly draft: unknown[];
  constructor(readonly root: Attempt) {
    this.draft = new Proxy([this] as unknown as unknown[], ARRAY_TRAPS as ProxyHandler<unknown[]>);
  }

  /** immer's `markChanged`: this array and every one above it, up to the root, are modified. */
  changed(): unknown[] {
    if (this.copy === null) {
      this.copy = this.base.slice();
      this.parent!.changed();
    }
    return this.copy;
  }

  /** The path of this array from the root. */
  path(): (string | number)[] {
    const path: (string | number)[] = [];
    for (let d: Attempt | ArrayDraft | null = this; d instanceof ArrayDraft; d = d.parent) path.push(d.key);
    return path.reverse();
  }
}

const EMPTY_ARRAY: unknown[] = [];

/** A plain array: immer drafts it and the shallow path can follow it. */
const isPlainArray = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;

/** `prop` as an array index (a canonical decimal below 10^9), or -1. */
function arrayIndex(prop: string): number {
  const n = prop.length;
  if (n === 0 || n > 9 || (n > 1 && prop.charCodeAt(0) === 48)) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = prop.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** The value at `key` of `d`, read through the draft: a shared plain array comes back drafted, a shared object bails. */
function readThrough(root: Attempt, d: Attempt | ArrayDraft, key: string | number, value: unknown, baseValue: unknown): unknown {
  // immer drafts a draftable value still shared with the base; one assigned in this step is returned as it is.
  if (typeof value !== 'object' || value === null || value !== baseValue) return value;
  if (isPlainArray(value)) return (root.arrayAt(d, key) ?? root.draftArray(d, key, value)).draft;
  return isDraftable(value) ? root.bail() : value;
}

function revoked(op: string): never {
  throw new TypeError(`Cannot perform '${op}' on a proxy that has been revoked`);
}

const TRAPS: ProxyHandler<Attempt> = {
  get(a, prop) {
    if (!a.live) revoked('get');
    if (typeof prop === 'symbol') return a.bail();
    const source = a.copy ?? a.base;
    if (!hasOwn(source, prop)) return a.bail();
    return readThrough(a, a, prop, source[prop], a.base[prop]);
  },
  set(a, prop, value) {
    if (!a.live) revoked('set');
    if (typeof prop === 'symbol' || prop === '__proto__') return a.bail();
    if (typeof value === 'object' && value !== null && isDraft(value)) return a.bail();
    if (a.drafted > 0 && a.arrayAt(a, prop) !== null) return a.bail();
    let copy = a.copy;
    if (copy === null) {
      const current = a.base[prop];
      if (typeof current === 'object' && current !== null && isDraft(current)) return a.bail();
      if (Object.is(value, current) && (value !== undefined || hasOwn(a.base, prop))) return true;
      copy = a.changed();
    }
    if ((copy[prop] === value && (value !== undefined || hasOwn(copy, prop))) || (Number.isNaN(value) && Number.isNaN(copy[prop]))) return true;
    copy[prop] = value;
    const keys = a.keys;
    let i = 0;
    while (i < a.assigned && keys[i] !== prop) i++;
    if (i === a.assigned) keys[a.assigned++] = prop;
    return true;
  },
  has(a, prop) {
    if (!a.live) revoked('has');
    return prop in (a.copy ?? a.base);
  },
  getPrototypeOf(a) {
    if (!a.live) revoked('getPrototypeOf');
    return Object.getPrototypeOf(a.base);
  },
  deleteProperty: (a) => (a.live ? a.bail() : revoked('deleteProperty')),
  ownKeys: (a) => (a.live ? a.bail() : revoked('ownKeys')),
  getOwnPropertyDescriptor: (a) => (a.live ? a.bail() : revoked('getOwnPropertyDescriptor')),
  defineProperty: (a) => (a.live ? a.bail() : revoked('defineProperty')),
  setPrototypeOf: (a) => (a.live ? a.bail() : revoked('setPrototypeOf')),
  preventExtensions: (a) => (a.live ? a.bail() : revoked('preventExtensions')),
};

const ARRAY_TRAPS: ProxyHandler<[ArrayDraft]> = {
  get([d], prop) {
    if (!d.live) revoked('get');
    if (typeof prop === 'symbol') return d.root.bail();
    const source = d.copy ?? d.base;
    if (prop === 'length') return source.length;
    const i = arrayIndex(prop);
    // Methods (push, map...), holes and reads past the end: immer's business.
    if (i < 0 || i >= source.length) return d.root.bail();
    return readThrough(d.root, d, i, source[i], d.base[i]);
  },
  set([d], prop, value) {
    if (!d.live) revoked('set');
    const i = typeof prop === 'string' ? arrayIndex(prop) : -1;
    const source = d.copy ?? d.base;
    // Only an index up to the length: a write to `length` or past the end (a hole) goes to immer.
    if (i < 0 || i > source.length) return d.root.bail();
    if (typeof value === 'object' && value !== null && isDraft(value)) return d.root.bail();
    if (d.root.arrayAt(d, i) !== null) return d.root.bail();
    let copy = d.copy;
    if (copy === null) {
      if (Object.is(value, source[i]) && (value !== undefined || i < d.base.length)) return true;
      copy = d.changed();
    }
    if ((copy[i] === value && (value !== undefined || i < copy.length)) || (Number.isNaN(value) && Number.isNaN(copy[i]))) return true;
    copy[i] = value;
    const assigned = d.assigned;
    let k = 0;
    while (k < d.assignedCount && assigned[k] !== i) k++;
    if (k === d.assignedCount) assigned[d.assignedCount++] = i;
    return true;
  },
  has: ([d]) => (d.live ? d.root.bail() : revoked('has')),
  getPrototypeOf([d]) {
    if (!d.live) revoked('getPrototypeOf');
    return Array.prototype;
  },
  deleteProperty: ([d]) => (d.live ? d.root.bail() : revoked('deleteProperty')),
  ownKeys: ([d]) => (d.live ? d.root.bail() : revoked('ownKeys')),
  getOwnPropertyDescriptor: ([d]) => (d.live ? d.root.bail() : revoked('getOwnPropertyDescriptor')),
  defineProperty: ([d]) => (d.live ? d.root.bail() : revoked('defineProperty')),
  setPrototypeOf: ([d]) => (d.live ? d.root.bail() : revoked('setPrototypeOf')),
  preventExtensions: ([d]) => (d.live ? d.root.bail() : revoked('preventExtensions')),
};

/** Attempts by nesting depth: a transition may step another environment inside its own step. */
const attempts: Attempt[] = [];
let depth = 0;

/** What a shallow attempt gave: the next state, immer's patches for it, and the recipe's return value. */
export interface ShallowProduced<R> {
  readonly state: unknown;
  readonly patches: ShallowPatch[];
  readonly result: R;
}

/** A patch as immer builds it for the writes the shallow path takes. */
export interface ShallowPatch {
  op: 'replace' | 'add';
  path: (string | number)[];
  value: unknown;
}

/** Whether `base` is a state the shallow path can take: a plain object with Object.prototype as its prototype. */
export const shallowDraftable = (base: unknown): base is Record<string, unknown> =>
  typeof base === 'object' && base !== null && Object.getPrototypeOf(base) === Object.prototype;

/**
 * Run `recipe(draft)` on a shallow draft of `base` (see shallowDraftable).
 * Returns null when the recipe did something only immer records; its writes
 * are then discarded and `base` is untouched. A recipe's own exception is
 * rethrown.
 */
export function produceShallow<R>(base: Record<string, unknown>, recipe: (draft: object) => R): ShallowProduced<R> | null {
  const a = attempts[depth] ?? (attempts[depth] = new Attempt());
  a.base = base;
  a.copy = null;
  a.assigned = 0;
  a.drafted = 0;
  a.bailed = false;
  a.live = true;
  depth++;
  let result: R;
  try {
    result = recipe(a.draft);
  } catch (e) {
    if (e === BAIL || a.bailed) return release(a, null);
    release(a, null);
    throw e;
  } finally {
    depth--;
    a.live = false;
    for (let i = 0; i < a.drafted; i++) a.arrays[i].live = false;
  }
  // A recipe that caught BAIL itself still gets no shallow result.
  if (a.bailed) return release(a, null);
  // Cast: the recipe wrote a.copy, which the compiler's narrowing from `a.copy = null` above cannot see.
  const copy = a.copy as Record<string, unknown> | null;
  a.copy = null;
  if (copy === null) return release(a, { state: base, patches: [], result });
  const patches: ShallowPatch[] = [];
  // Arrays last drafted first (immer's callbacks): each modified one's copy takes its place in its parent's copy, and gives its patches.
  for (let i = a.drafted - 1; i >= 0; i--) {
    const d = a.arrays[i];
    const final = d.copy;
    if (final === null) continue;
    const parent = d.parent!;
    if (parent instanceof ArrayDraft) parent.copy![d.key as number] = final;
    else copy[d.key as string] = final;
    if (d.assignedCount > 0) arrayPatches(d, final, patches);
  }
  const keys = a.keys;
  for (let i = 0; i < a.assigned; i++) {
    const key = keys[i];
    const value = copy[key];
    const own = hasOwn(base, key);
    if (own && base[key] === value) continue;
    patches.push({ op: own ? 'replace' : 'add', path: [key], value });
  }
  return release(a, { state: copy, patches, result });
}

/** immer's `generateArrayPatches` for an array that only grew: `replace` per changed assigned index below the base's length, in index order, then `add` per new index. */
function arrayPatches(d: ArrayDraft, copy: unknown[], patches: ShallowPatch[]): void {
  const base = d.base;
  const path = d.path();
  const n = d.assignedCount;
  // Index order; a step assigns a few indices at most, so insertion sort.
  const assigned = d.assigned;
  for (let k = 1; k < n; k++) {
    const v = assigned[k];
    let j = k - 1;
    for (; j >= 0 && assigned[j] > v; j--) assigned[j + 1] = assigned[j];
    assigned[j + 1] = v;
  }
  for (let k = 0; k < n; k++) {
    const i = assigned[k];
    if (i < base.length && copy[i] !== base[i]) patches.push({ op: 'replace', path: [...path, i], value: copy[i] });
  }
  for (let i = base.length; i < copy.length; i++) patches.push({ op: 'add', path: [...path, i], value: copy[i] });
}

/** Drop this step's references to states (the drafts are reused), and return `out`. */
function release<T>(a: Attempt, out: T): T {
  for (let i = 0; i < a.drafted; i++) {
    const d = a.arrays[i];
    d.parent = null;
    d.base = EMPTY_ARRAY;
    d.copy = null;
  }
  a.drafted = 0;
  a.base = EMPTY;
  return out;
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
