/**
 * The last guard before JSON: every non-finite number (NaN, ±Infinity)
 * becomes null, in place. The estimators already return null where a value
 * is not computable; this guard makes "never NaN in the JSON" hold even if
 * one of them slips.
 */

/** Replace non-finite numbers by null throughout `value` (in place); returns how many were replaced. */
export function nullNonFinite(value: unknown): number {
  let replaced = 0;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'number') {
          if (!Number.isFinite(x)) {
            v[i] = null;
            replaced++;
          }
        } else if (x !== null && typeof x === 'object') visit(x);
      }
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x === 'number') {
          if (!Number.isFinite(x)) {
            o[k] = null;
            replaced++;
          }
        } else if (x !== null && typeof x === 'object') visit(x);
      }
    }
  };
  visit(value);
  return replaced;
}
