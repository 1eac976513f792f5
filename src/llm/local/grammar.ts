/**
 * JSON Schema → the subset node-llama-cpp compiles to a grammar. The shared
 * tool schema (src/llm `actionTool`) is standard JSON Schema; llama's
 * grammar builder knows `const`/`enum` of primitives only, `oneOf` (not
 * `anyOf`), and no numeric bounds. The translation keeps the set of strings
 * the grammar admits a superset of the legal actions: what a grammar cannot
 * say (bounds, patterns) is checked after parsing, where an out-of-range
 * reply becomes an `invalid` step. Pure.
 */
import type { Json } from '../../core/index.js';

type Schema = { [key: string]: Json };

const isPrimitive = (v: Json): boolean => v === null || typeof v !== 'object';

/** Any JSON value (zod's "unrepresentable: any" gives `{}`). */
const ANY: Schema = { oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'object', additionalProperties: true }, { type: 'array' }] };

/** A schema admitting exactly `value`. */
function constant(value: Json): Schema {
  if (value === null || typeof value !== 'object') return { const: value };
  if (Array.isArray(value)) return { type: 'array', prefixItems: value.map(constant), minItems: value.length, maxItems: value.length };
  const keys = Object.keys(value).sort();
  const properties: Schema = {};
  for (const k of keys) properties[k] = constant(value[k]);
  return { type: 'object', properties, required: keys, additionalProperties: false };
}

const KEEP: Record<string, readonly string[]> = {
  object: ['required', 'minProperties', 'maxProperties'],
  array: ['minItems', 'maxItems'],
  string: ['minLength', 'maxLength', 'format'],
};

export function grammarSchema(schema: Json): Schema {
  if (schema === true || schema === null || typeof schema !== 'object' || Array.isArray(schema)) return ANY;
  const s = schema as Schema;
  if ('const' in s) return constant(s.const);
  if (Array.isArray(s.enum)) return s.enum.every(isPrimitive) ? { enum: s.enum } : { oneOf: s.enum.map(constant) };
  const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (Array.isArray(alternatives)) return { oneOf: alternatives.map(grammarSchema) };
  if (typeof s.$ref === 'string') return { $ref: s.$ref, ...defs(s) };
  const type = s.type;
  if (type === undefined) return ANY;
  const out: Schema = { type };
  if (typeof type === 'string') for (const k of KEEP[type] ?? []) if (s[k] !== undefined) out[k] = s[k];
  if (type === 'object') {
    if (s.properties && typeof s.properties === 'object') {
      const properties: Schema = {};
      for (const [k, v] of Object.entries(s.properties as Schema)) properties[k] = grammarSchema(v);
      out.properties = properties;
    }
    const extra = s.additionalProperties;
    out.additionalProperties = extra === undefined ? true : typeof extra === 'boolean' ? extra : grammarSchema(extra);
    // A string format is only kept where llama knows it.
  }
  if (type === 'string' && out.format !== undefined && !['date-time', 'time', 'date'].includes(out.format as string)) delete out.format;
  if (type === 'array') {
    if (s.items !== undefined && typeof s.items === 'object' && !Array.isArray(s.items)) out.items = grammarSchema(s.items);
    if (Array.isArray(s.prefixItems)) out.prefixItems = s.prefixItems.map(grammarSchema);
  }
  return { ...out, ...defs(s) };
}

function defs(s: Schema): Schema {
  if (!s.$defs || typeof s.$defs !== 'object' || Array.isArray(s.$defs)) return {};
  const out: Schema = {};
  for (const [k, v] of Object.entries(s.$defs as Schema)) out[k] = grammarSchema(v);
  return { $defs: out };
}
