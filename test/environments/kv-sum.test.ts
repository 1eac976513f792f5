import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng } from '../../src/core/index.js';
import kvSum from '../../environments/kv-sum.js';

describe('kv-sum environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(kvSum, {}, [1, 5, 32])).toEqual([]);
    expect(checkEnvironment(kvSum, { dictSize: 8, keysPerStep: 3 }, [4])).toEqual([]);
  });

  it('oracle sums the revealed values, checked by an independent running sum', () => {
    const p = kvSum.params.parse({ dictSize: 16, keysPerStep: 2 });
    let s = kvSum.reset(p, 10, createRng('kv'));
    const inst = s.instance;
    let sum = 0;
    for (let t = 0; t < 10; t++) {
      sum += inst.values[inst.schedule[2 * t]] + inst.values[inst.schedule[2 * t + 1]];
      const a = kvSum.oracle(s);
      expect(a).toBe(sum);
      const r = kvSum.step(s, a);
      if (r.kind !== 'ok') throw new Error(r.reason);
      s = r.state;
    }
    expect(kvSum.outcome(s)).toMatchObject({ value: [sum], target: [sum], success: true });
  });
});
