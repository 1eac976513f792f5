/** Render a plugin's zod params for people, from its JSON schema (`.describe()` gives each its meaning). */
import { z } from 'zod';

interface JsonProp {
  type?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** One line per param: `name: type range = default — what it means`; null when the schema cannot be expressed. */
export function paramLines(schema: z.ZodType): string[] | null {
  let js: { properties?: Record<string, JsonProp>; required?: string[] };
  try {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as typeof js;
  } catch {
    return null;
  }
  return Object.entries(js.properties ?? {}).map(([n, p]) => {
    const type = Array.isArray(p.type) ? p.type.join('|') : (p.type ?? 'value');
    // JSON Schema spells an unbounded integer with the safe-integer limits: say nothing then.
    const lo = p.minimum !== undefined && p.minimum > Number.MIN_SAFE_INTEGER ? p.minimum : undefined;
    const hi = p.maximum !== undefined && p.maximum < Number.MAX_SAFE_INTEGER ? p.maximum : undefined;
    const range = lo !== undefined || hi !== undefined ? ` ${lo ?? ''}..${hi ?? ''}` : '';
    const dflt = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : js.required?.includes(n) ? ' (required)' : '';
    return `${n}: ${type}${range}${dflt}${p.description ? ` — ${p.description}` : ''}`;
  });
}

/** The params on one line, without their meanings (the `params` field of `envs --json` and `agents --json`). */
export function describeParams(schema: z.ZodType): string {
  const lines = paramLines(schema);
  if (lines === null) return '(params: see source)';
  if (lines.length === 0) return '(no params)';
  return lines.map((l) => l.replace(/ — .*$/, '')).join(', ');
}

/** The params as an indented block under a `params:` heading, one per line with its meaning. */
export function paramsBlock(schema: z.ZodType, indent: string): string {
  const lines = paramLines(schema);
  if (lines === null) return ' (see source)';
  if (lines.length === 0) return ' (none)';
  return lines.map((l) => `\n${indent}${l}`).join('');
}

/** Defaults of a params schema, or {} when some are required. */
export function defaultParams(schema: z.ZodType): Record<string, unknown> {
  const r = schema.safeParse({});
  return r.success ? (r.data as Record<string, unknown>) : {};
}

/** The params schema as JSON Schema, for `--json` listings; null when it cannot be expressed. */
export function paramsJsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null;
  }
}
