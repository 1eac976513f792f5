/** π and H_model from token log-probabilities (metrics.md H4), against values worked by hand. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { actionUncertainty, actionValueSpan } from '../../src/llm/index.js';

const t = (token: string, p = 1, top?: [string, number][]) => ({ token, logprob: Math.log(p), ...(top ? { top: top.map(([tk, q]) => ({ token: tk, logprob: Math.log(q) })) } : {}) });
const discrete = (actions: string[]) => ({ kind: 'discrete' as const, actions });
const integers = { kind: 'continuous' as const, schema: z.number().int(), description: 'an integer' };

describe('actionValueSpan', () => {
  it('finds the last "action" value: strings without quotes, numbers, objects', () => {
    const s = '<tool_call>{"name": "act", "arguments": {"action": "N"}}';
    expect(s.slice(actionValueSpan(s)!.start, actionValueSpan(s)!.end)).toBe('N');
    const n = '{"action": -42}';
    expect(n.slice(actionValueSpan(n)!.start, actionValueSpan(n)!.end)).toBe('-42');
    const o = '{"action": {"from": 1, "to": "x}"}}';
    expect(o.slice(actionValueSpan(o)!.start, actionValueSpan(o)!.end)).toBe('{"from": 1, "to": "x}"}');
    expect(actionValueSpan('{"move": 3}')).toBeNull();
  });
});

describe('actionUncertainty', () => {
  it('π is the product over the value tokens; H is over the actions the alternatives name', () => {
    const tokens = [t('{"action": "'), t('S', 0.5, [['S', 0.5], ['W', 0.25], ['E', 0.125], ['x', 0.125]]), t('"}')];
    const u = actionUncertainty(tokens, discrete(['N', 'E', 'S', 'W']));
    expect(u.prob).toBeCloseTo(0.5, 12);
    // x names no action and is left out: H = 0.5·1 + 0.25·2 + 0.125·3 bits.
    expect(u.entropy).toBeCloseTo(0.5 + 0.5 + 0.375, 12);
  });

  it('multi-token values multiply, and a token that starts several actions makes H null', () => {
    const tokens = [t('{"action": '), t('4', 0.5, [['4', 0.5], ['5', 0.5]]), t('2', 0.8), t('}')];
    const u = actionUncertainty(tokens, integers);
    expect(u.prob).toBeCloseTo(0.4, 12);
    expect(u.entropy).toBeNull(); // a continuous space has no candidate set
    const d = actionUncertainty(tokens, { kind: 'discrete', actions: [4, 42, 5] });
    expect(d.entropy).toBeNull(); // "4" starts both 4 and 42
    const ok = actionUncertainty(tokens, { kind: 'discrete', actions: [42, 5] });
    expect(ok.entropy).toBeCloseTo(1, 12);
  });

  it('gives nulls when the action is not in the tokens', () => {
    expect(actionUncertainty([t('hello')], discrete(['N']))).toEqual({ prob: null, entropy: null });
    expect(actionUncertainty([], discrete(['N']))).toEqual({ prob: null, entropy: null });
  });
});
