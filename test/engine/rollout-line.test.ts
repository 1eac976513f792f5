/**
 * The rollout line's own serializer writes exactly what JSON.stringify
 * writes for the record: every ending, the optional fields, numbers JSON
 * prints specially, and parts of an unexpected shape (which it hands to
 * JSON.stringify).
 */
import { describe, expect, it } from 'vitest';
import { rolloutLineJson, type RolloutLine } from '../../src/engine/index.js';

const head = { rollout: 'noisy:64:0:7', agent: 'noisy', horizon: 64, instance: 0, index: 7, seeds: { env: 'e1', agent: 'a"\u2028' }, length: 12 };
const outcome = { kind: 'coverage' as const, value: [1, 0.5], target: [1, 1], success: false };

const LINES: RolloutLine[] = [
  { ...head, termination: 'terminated', outcome, return: 1, timing: { ms: 3 } },
  { ...head, termination: 'truncated', outcome, outcomes: { distance: { kind: 'squared', value: [4], target: [0], success: false }, '2': { kind: 'kl', value: [NaN, -0], target: [Infinity], success: true } }, return: -0.25, timing: { ms: 0 } },
  { ...head, termination: 'error', error: 'step 3: "boom"\n', outcome: null, return: 0, timing: { ms: 12 } },
  { ...head, termination: 'terminated', outcome, return: 1e21, info: { tokens: 12, model: 'x', nested: { a: [1, null] } }, forkedAt: 4, timing: { ms: 1 } },
  // Shapes the fast path does not expect: another key order, extra keys, seeds with more fields, a non-array value.
  { ...head, seeds: { agent: 'a', env: 'e' }, termination: 'terminated', outcome: { value: [1], kind: 'squared', target: [2], success: true } as never, return: 0, timing: { ms: 1 } },
  { ...head, seeds: { env: 'e', agent: 'a', extra: 1 } as never, termination: 'terminated', outcome: { ...outcome, note: 'x' } as never, return: 0, timing: { ms: 1 } },
  { ...head, termination: 'terminated', outcome: { kind: 'squared', value: 3, target: [2], success: true } as never, outcomes: { a: undefined } as never, return: 0, timing: { ms: 1 } },
];

describe('rolloutLineJson', () => {
  it('is JSON.stringify, byte for byte, on every kind of rollout line', () => {
    for (const line of LINES) expect(rolloutLineJson(line)).toBe(JSON.stringify(line));
  });
});
