/** Render a plugin's zod params as a short human line, from its JSON schema. */
import { z } from 'zod';

export function describeParams(schema: z.ZodType): string {
  let js: { properties?: Record<string, { type?: unknown; default?: unknown; minimum?: number; maximum?: number }>; required?: string[] };
  try {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as typeof js;
  } catch {
    return '(params: see source)';
  }
  const props = js.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0) return '(no params)';
  return names
    .map((n) => {
      const p = props[n];
      const type = Array.isArray(p.type) ? p.type.join('|') : (p.type ?? 'value');
      const range = p.minimum !== undefined || p.maximum !== undefined ? ` ${p.minimum ?? ''}..${p.maximum ?? ''}` : '';
      const dflt = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : js.required?.includes(n) ? ' (required)' : '';
      return `${n}: ${type}${range}${dflt}`;
    })
    .join(', ');
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
