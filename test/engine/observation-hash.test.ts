/**
 * A step line's `obs` is the hash of the observation text the agent saw,
 * memoised on the observation object: the same object again (maze's cells)
 * reuses it, a frozen one cannot keep it and is hashed every step.
 */
import { describe, expect, it } from 'vitest';
import { RolloutSession, runRollout } from '../../src/engine/index.js';
import { hashString, type AnyEnvironment, type Observation } from '../../src/core/index.js';
import counter from '../fixtures/counter-env.js';

function runWith(observe: (s: { n: number; goal: number }) => Observation) {
  const env: AnyEnvironment = { ...counter, observe };
  const lines: string[] = [];
  const s = new RolloutSession({ id: 'r', env, params: { slack: 0 }, horizon: 4, seeds: { env: 'e', agent: 'a' }, sink: { step: (l) => lines.push(l) }, keepHistory: false });
  s.agent = { async: false, act: () => 'inc' };
  expect(runRollout(s)).toEqual({ termination: 'terminated' });
  return lines.map((l) => JSON.parse(l).obs);
}

const texts = ['zero', 'one', 'two', 'three'];
const expected = texts.map((t) => hashString(t));

describe('observation hash', () => {
  it('is the text hash for fresh, shared and frozen observation objects alike', () => {
    expect(runWith((s) => ({ data: s.n, text: texts[s.n] }))).toEqual(expected);
    const shared = texts.map((text, n) => ({ data: n, text }));
    expect(runWith((s) => shared[s.n])).toEqual(expected);
    expect(runWith((s) => shared[s.n])).toEqual(expected);
    const frozen = texts.map((text, n) => Object.freeze({ data: n, text }));
    expect(runWith((s) => frozen[s.n])).toEqual(expected);
    expect(Object.getOwnPropertySymbols(frozen[0])).toEqual([]);
    // The memo is invisible to what agents and logs read of an observation.
    expect(Object.keys(shared[0])).toEqual(['data', 'text']);
    expect(JSON.stringify(shared[0])).toBe('{"data":0,"text":"zero"}');
  });
});
