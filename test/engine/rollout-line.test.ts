/**
 * The rollout line the engine builds from a rollout's parts prints exactly
 * as the record with the log's keys in the log's order: every ending, the
 * optional fields present and absent, numbers JSON prints specially, and
 * parts of an unexpected shape.
 */
import { describe, expect, it } from 'vitest';
import { rolloutLine, type RolloutLine } from '../../src/engine/index.js';

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

/** The parts the engine has when a rollout ends, taken from a record. */
function fromParts(line: RolloutLine): RolloutLine {
  const p = { id: line.rollout, agent: { name: line.agent }, horizon: line.horizon, instance: line.instance, index: line.index, seeds: line.seeds };
  return rolloutLine(p, line.length, line, line.return, line.info, line.forkedAt, line.timing.ms);
}

describe('rolloutLine', () => {
  it('prints byte for byte as the record, on every kind of rollout line', () => {
    for (const line of LINES) expect(JSON.stringify(fromParts(line))).toBe(JSON.stringify(line));
  });
});
