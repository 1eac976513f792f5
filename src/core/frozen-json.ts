/**
 * JSON printed once per frozen value. Environments hand out the same frozen
 * actions and vectors step after step (inventory's orders, hanoi's moves and
 * one-hot vectors, quadratic's reference points); what cannot change need not
 * be printed again. Freezing is shallow and leaves getters running, so only a
 * plain array or object whose own properties are data properties holding
 * primitives is remembered; any other frozen value is printed afresh each
 * time (and that verdict is remembered, since its own properties are fixed).
 * Internal to core: canonical.ts and json-fast.ts. Pure; no I/O.
 */

/** The mark for a frozen value that must be printed afresh each time (no JSON text is empty). */
const AFRESH = '';

export class FrozenJson {
  private readonly memo = new WeakMap<object, string>();

  /** `print(value)`, remembered when `value` (frozen) can never print differently. */
  of<T extends object>(value: T, print: (value: T) => string): string {
    const memo = this.memo.get(value);
    if (memo !== undefined && memo !== AFRESH) return memo;
    const json = print(value);
    if (memo === undefined) this.memo.set(value, isImmutable(value) ? json : AFRESH);
    return json;
  }
}

/** A frozen plain array or object whose own properties are all data properties holding primitives. */
function isImmutable(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype) return false;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  for (const k in descriptors) {
    const d = descriptors[k];
    if (!('value' in d) || (typeof d.value === 'object' && d.value !== null)) return false;
  }
  return true;
}
