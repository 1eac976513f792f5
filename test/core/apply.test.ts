/** The one rule for applying an action (engine, fork, viewer and export replays all use it). */
import { describe, expect, it } from 'vitest';
import { applyAction, stateAfter } from '../../src/core/index.js';
import counter from '../fixtures/counter-env.js';

const start = () => counter.reset({ slack: 0 }, 3, null as never);

describe('applyAction', () => {
  it('steps a legal action: the next state, its patches, reward and ending', () => {
    const s0 = start();
    const r = applyAction(counter, s0, 'inc');
    expect(r).toEqual({ kind: 'ok', state: { n: 1, goal: 3 }, patches: [{ op: 'replace', path: ['n'], value: 1 }], reward: 1, terminated: false });
    expect(s0).toEqual({ n: 0, goal: 3 });
  });

  it('refuses an action outside the action space as invalid, without calling the transition', () => {
    const r = applyAction(counter, start(), 'jump');
    expect(r).toEqual({ kind: 'invalid', reason: 'not a legal action: "jump"' });
    // 'boom' is in the space and throws in the transition; a space that leaves it out refuses it first.
    expect(applyAction(counter, start(), 'boom', { kind: 'discrete', actions: ['inc'] })).toEqual({ kind: 'invalid', reason: 'not a legal action: "boom"' });
  });

  it('refuses an action the transition rejects as illegal, with its reason', () => {
    expect(applyAction(counter, start(), 'wall')).toEqual({ kind: 'illegal', reason: 'wall' });
  });

  it('stateAfter: a refused action leaves the very same state', () => {
    const s0 = start();
    expect(stateAfter(counter, s0, 'wall')).toBe(s0);
    expect(stateAfter(counter, s0, 'jump')).toBe(s0);
    let s = s0;
    for (const a of ['inc', 'wall', 'stay', 'inc', 'jump', 'inc']) s = stateAfter(counter, s, a);
    expect(s).toEqual({ n: 3, goal: 3 });
  });
});
