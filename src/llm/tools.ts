/**
 * An action space as a model tool: one tool, `act`, whose input is
 * `{"action": <an action>}` with a JSON schema generated from the space
 * (zod's `z.toJSONSchema` for numeric spaces, an enum of the canonical
 * actions for discrete ones), and the validation of a model's tool input
 * against the legal actions. Pure; shared by every model-backed agent.
 */
import { z } from 'zod';
import { canonicalJson, checkAction, type Action, type ActionSpace, type Json } from '../core/index.js';

export const ACTION_TOOL_NAME = 'act';

export type JsonSchema = { [key: string]: Json };

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** Always an object schema `{action}` (tool inputs must be objects). */
  readonly inputSchema: JsonSchema;
}

/** Discrete spaces longer than this are not spelled out in the description (the schema still lists them). */
const LIST_IN_DESCRIPTION = 24;

/** Schemas by the identity of the zod schema or action list: spaces are usually rebuilt around the same ones. */
const SCHEMAS = new WeakMap<object, JsonSchema>();

export function actionSchema(space: ActionSpace): JsonSchema {
  const id: object = space.kind === 'discrete' ? space.actions : space.schema;
  let schema = SCHEMAS.get(id);
  if (!schema) {
    schema = buildSchema(space);
    SCHEMAS.set(id, schema);
  }
  return schema;
}

function buildSchema(space: ActionSpace): JsonSchema {
  if (space.kind === 'discrete') {
    const acts = space.actions;
    const primitive = acts.every((a) => a === null || typeof a !== 'object');
    return primitive ? { enum: acts.map((a) => a as Json) } : { anyOf: acts.map((a) => ({ const: a as Json })) };
  }
  const schema = z.toJSONSchema(space.schema, { unrepresentable: 'any' }) as JsonSchema;
  return tidy(schema);
}

/** Drop the `$schema` tag and zod's safe-integer bounds: noise in a prompt. */
function tidy(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema') continue;
    if ((k === 'minimum' && v === Number.MIN_SAFE_INTEGER) || (k === 'maximum' && v === Number.MAX_SAFE_INTEGER)) continue;
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? tidy(v) : Array.isArray(v) ? v.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? tidy(x) : x)) : v;
  }
  return out;
}

export function describeSpace(space: ActionSpace): string {
  if (space.kind === 'continuous') return space.description;
  const acts = space.actions;
  if (acts.length <= LIST_IN_DESCRIPTION) return `one of: ${acts.map((a) => (typeof a === 'string' ? a : canonicalJson(a))).join(', ')}`;
  return `one of the ${acts.length} actions listed in the schema`;
}

/** The `act` tool for the legal actions at the current state. Deterministic: equal spaces give equal tools. */
export function actionTool(space: ActionSpace): ToolSpec {
  return {
    name: ACTION_TOOL_NAME,
    description: `Take your action for this step. The action is ${describeSpace(space)}.`,
    inputSchema: {
      type: 'object',
      properties: { action: actionSchema(space) },
      required: ['action'],
      additionalProperties: false,
    },
  };
}

/**
 * A model's tool input read against the legal actions. When it is not ok,
 * `action` is what the step logs, chosen so the engine's own check refuses
 * it too (the engine also takes the agent's `reason`, so both agree on
 * every invalid reply): null when there is no action (not an object, no
 * `action` field), the whole input when it has extra fields (an object with
 * an `action` key is no environment's action), and the action itself when
 * it is outside the space.
 */
export type ToolReply = { readonly ok: true; readonly action: Action } | { readonly ok: false; readonly action: Action; readonly reason: string };

/**
 * Validate a tool input `{action}` against the space. Never throws: a
 * malformed input (not an object, no `action`, extra keys) or an action
 * outside the space is `ok: false` with the reason the model is told.
 */
export function readToolInput(space: ActionSpace, input: unknown): ToolReply {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, action: null, reason: 'the tool input must be an object {"action": ...}' };
  }
  const obj = input as Record<string, unknown>;
  if (!('action' in obj)) return { ok: false, action: null, reason: 'the tool input has no "action" field' };
  const extra = Object.keys(obj).filter((k) => k !== 'action');
  if (extra.length > 0) return { ok: false, action: toJson(input), reason: `unexpected field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; give only "action"` };
  const action = toJson(obj.action);
  const refused = checkAction(space, action);
  return refused === null ? { ok: true, action } : { ok: false, action, reason: refused };
}

/** Tool inputs come from JSON, but guard against undefined and non-finite numbers. */
function toJson(v: unknown): Json {
  if (v === undefined) return null;
  return JSON.parse(canonicalJson(v)) as Json;
}
