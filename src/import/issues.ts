/**
 * One-line descriptions of bad input: a zod issue becomes `field "a.b[2]":
 * expected X, got Y`, a JSON syntax error gets a line and column. Pure.
 */
import type { z } from 'zod';
import { errnoOf, errorText } from '../core/index.js';

/** A file that could not be opened or read: its errno code (ENOENT, EACCES, …) when it has one. */
export const cannotRead = (file: string, e: unknown): string => `cannot read ${file}: ${errnoOf(e) ?? errorText(e)}`;

/** `a.b[2].c`, the way jq would spell it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** A short rendering of an offending value, never more than ~60 characters. */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'nothing' : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  boolean: 'true or false',
};
const expected = (name: string): string => EXPECTED[name] ?? name;

/** Describe the first issue of a failed parse of `input`, as one line. */
export function describeIssue(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid record';
  const path = issue.path as PropertyKey[];
  const where = path.length > 0 ? `field "${fieldPath(path)}"` : 'record';
  const got = valueAt(input, path);
  if (got === undefined && path.length > 0) return `missing field "${fieldPath(path)}"`;
  if (issue.code === 'invalid_type') return `${where}: expected ${expected(issue.expected)}, got ${preview(got)}`;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const options = issue.errors.map((branch) => branch[0]).filter((i) => i?.code === 'invalid_type' && i.path.length === 0);
    if (options.length === issue.errors.length) {
      return `${where}: expected ${options.map((i) => expected((i as { expected: string }).expected)).join(' or ')}, got ${preview(got)}`;
    }
  }
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}, got ${preview(got)}`;
}

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** V8 quotes about ten characters either side of an unexpected token, with `...` where it cut. */
const V8_CONTEXT = 10;
const UNEXPECTED = /^(Unexpected token '.+?'), (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;

/** Where V8's message puts the error: an explicit position, or one recovered from its quoted context. */
function errorOffset(msg: string, text: string): number | null {
  const pos = /at position (\d+)/.exec(msg);
  if (pos) return Number(pos[1]);
  const m = UNEXPECTED.exec(msg);
  if (!m) return null;
  const [, , before, context, after] = m;
  if (before) {
    const at = text.indexOf(context);
    return at === -1 ? null : at + V8_CONTEXT;
  }
  return after ? context.length - V8_CONTEXT : null;
}

/**
 * A JSON.parse failure as one line. V8 messages may quote the source (with
 * its newlines), so only the reason is kept, plus a line and column when the
 * message locates the error.
 */
export function describeJsonError(e: unknown, text: string): string {
  const msg = errorText(e);
  const unexpected = UNEXPECTED.exec(msg);
  const reason = (unexpected ? unexpected[1] : msg.replace(/ (in JSON )?at position \d+.*$/s, '')).replace(/\s+/g, ' ').slice(0, 100);
  const offset = errorOffset(msg, text);
  if (offset === null) return reason;
  const { line, column } = lineColumn(text, offset);
  return text.includes('\n') ? `${reason} (line ${line}, column ${column})` : `${reason} (column ${column})`;
}
