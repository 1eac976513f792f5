/**
 * The state change of one step, in words, from its logged immer patches:
 * `sum: -128 → -17`, `+ items.3 = "key"`, `− items.0 (was 5)`. The value
 * before comes from the re-derived state before the step when there is one.
 * Pure.
 */
import { canonicalJson } from '../../core/index.js';

interface Patch {
  readonly op: string;
  readonly path: readonly (string | number)[];
  readonly value?: unknown;
}

const isPatch = (p: unknown): p is Patch => typeof p === 'object' && p !== null && typeof (p as Patch).op === 'string' && Array.isArray((p as Patch).path);

/** A value as short one-line JSON, cut to `max` characters. */
export function shortJson(value: unknown, max = 48): string {
  let s: string;
  try {
    s = value === undefined ? 'undefined' : canonicalJson(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/**
 * An action for reading: a tool call as `name(args)`, the tool's name first
 * so a cut keeps it (canonical JSON sorts `args` before `tool`); anything
 * else as shortJson.
 */
export function actionText(value: unknown, max = 48): string {
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { tool?: unknown }).tool === 'string') {
    const { tool, args, ...rest } = value as { tool: string; args?: unknown };
    const inner = args !== undefined ? args : Object.keys(rest).length > 0 ? rest : undefined;
    let body = '';
    try {
      body = inner === undefined ? '' : canonicalJson(inner);
    } catch {
      body = String(inner);
    }
    const s = `${tool}(${body})`;
    return s.length > max ? s.slice(0, max - 2) + '…)' : s;
  }
  return shortJson(value, max);
}

function at(state: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let cur: unknown = state;
  for (const k of path) {
    if (cur instanceof Map) cur = cur.get(k);
    else if (typeof cur === 'object' && cur !== null && k in (cur as object)) cur = (cur as Record<string | number, unknown>)[k];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

export function describePatches(patches: unknown, before?: unknown): string[] {
  if (!Array.isArray(patches)) return [];
  const hasBefore = before !== undefined;
  return patches.map((p) => {
    if (!isPatch(p)) return shortJson(p, 80);
    const path = p.path.length > 0 ? p.path.join('.') : '(state)';
    const old = hasBefore ? at(before, p.path) : { found: false, value: undefined };
    switch (p.op) {
      case 'replace':
        return old.found ? `${path}: ${shortJson(old.value)} → ${shortJson(p.value)}` : `${path} = ${shortJson(p.value)}`;
      case 'add':
        return `+ ${path} = ${shortJson(p.value)}`;
      case 'remove':
        return old.found ? `− ${path} (was ${shortJson(old.value)})` : `− ${path}`;
      default:
        return `${p.op} ${path} ${shortJson(p.value)}`;
    }
  });
}
