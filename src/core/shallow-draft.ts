/**
 * A cheaper stand-in for immer's `produce` with a patch listener, for the
 * transitions that only assign top-level fields of a plain-object state (maze,
 * kv-sum, inventory, workflow, quadratic): the draft is one reused proxy over
 * a shallow copy, and the patches are built as immer builds them for such a
 * step (`generatePatchesFromAssigned` at the root): one `{op, path: [key],
 * value}` per assigned key, in first-assignment order, `replace` for an own
 * key of the base and `add` otherwise, none for a key whose final value is
 * the base's own. The next state is the base itself when nothing was
 * modified, otherwise a `{...base}` copy with the writes, as immer returns it
 * (auto-freeze is off).
 *
 * Anything else the transition does to the draft (reads a nested object or
 * array, which immer would draft; deletes; lists keys; reads a symbol or an
 * inherited property; assigns an immer draft) makes the attempt bail: the
 * caller discards it and runs the transition again under immer. Transitions
 * are pure, so running one twice is safe, and the base is never written.
 * test/core/shallow-draft.test.ts holds both paths byte-equal over every
 * environment.
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
  constructor() {
    this.draft = new Proxy(this, TRAPS as ProxyHandler<Attempt>);
  }
  bail(): never {
    this.bailed = true;
    throw BAIL;
  }
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
    const value = source[prop];
    // immer drafts a draftable value still shared with the base; one assigned in this step is returned as it is.
    if (typeof value === 'object' && value !== null && value === a.base[prop] && isDraftable(value)) return a.bail();
    return value;
  },
  set(a, prop, value) {
    if (!a.live) revoked('set');
    if (typeof prop === 'symbol' || prop === '__proto__') return a.bail();
    if (typeof value === 'object' && value !== null && isDraft(value)) return a.bail();
    let copy = a.copy;
    if (copy === null) {
      const current = a.base[prop];
      if (typeof current === 'object' && current !== null && isDraft(current)) return a.bail();
      if (Object.is(value, current) && (value !== undefined || hasOwn(a.base, prop))) return true;
      copy = a.copy = { ...a.base };
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

/** Attempts by nesting depth: a transition may step another environment inside its own step. */
const attempts: Attempt[] = [];
let depth = 0;

/** What a shallow attempt gave: the next state, immer's patches for it, and the recipe's return value. */
export interface ShallowProduced<R> {
  readonly state: unknown;
  readonly patches: { op: 'replace' | 'add'; path: string[]; value: unknown }[];
  readonly result: R;
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
  a.bailed = false;
  a.live = true;
  depth++;
  let result: R;
  try {
    result = recipe(a.draft);
  } catch (e) {
    if (e === BAIL || a.bailed) return null;
    throw e;
  } finally {
    depth--;
    a.live = false;
    a.base = EMPTY;
  }
  // A recipe that caught BAIL itself still gets no shallow result.
  if (a.bailed) return null;
  const copy = a.copy;
  a.copy = null;
  if (copy === null) return { state: base, patches: [], result };
  const patches: ShallowProduced<R>['patches'] = [];
  const keys = a.keys;
  for (let i = 0; i < a.assigned; i++) {
    const key = keys[i];
    const value = copy[key];
    const own = hasOwn(base, key);
    if (own && base[key] === value) continue;
    patches.push({ op: own ? 'replace' : 'add', path: [key], value });
  }
  return { state: copy, patches, result };
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
