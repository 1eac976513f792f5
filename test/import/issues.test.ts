/**
 * One-line descriptions of bad JSON: V8's messages quote the source with its
 * newlines, so the reason is kept and a line and column recovered.
 */
import { describe, expect, it } from 'vitest';
import { describeJsonError } from '../../src/import/issues.js';

const describeParse = (text: string): string => {
  try {
    JSON.parse(text);
  } catch (e) {
    return describeJsonError(e, text);
  }
  throw new Error('expected invalid JSON');
};

describe('describeJsonError', () => {
  it.each([
    // The '}' sits on line 2 after two spaces, `"trial":` and a space: column 12.
    ['[{"task_id": 1,\n  "trial": }]', "Unexpected token '}' (line 2, column 12)"],
    // Long input: V8 quotes only the context; the offending '}' is on line 3, column 10.
    [JSON.stringify([{ a: 1, b: 'x'.repeat(50) }], null, 2).replace('"a": 1', '"a": }'), "Unexpected token '}' (line 3, column 10)"],
    ['[1,2', "Expected ',' or ']' after array element (column 5)"],
    ['{"a":1} x', 'Unexpected non-whitespace character after JSON (column 9)'],
    ['', 'Unexpected end of JSON input'],
  ])('%j → %s', (text, expected) => {
    const d = describeParse(text);
    expect(d).toBe(expected);
    expect(d).not.toContain('\n');
  });
});
