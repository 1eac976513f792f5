import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng, hashString } from '../../src/core/index.js';
import quiz from '../../environments/quiz.js';

describe('quiz environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(quiz, {}, [1, 5, 32])).toEqual([]);
    expect(checkEnvironment(quiz, { choices: 2 }, [3])).toEqual([]);
  });

  it('scores each question against the key given in the instructions, whatever came before', () => {
    const p = quiz.params.parse({ choices: 3 });
    let s = quiz.reset(p, 6, createRng('q'));
    const key = quiz.instructions!(s).split('\n').slice(1, 7).map((l) => l.split(': ')[1]);
    const given = ['wrong', 'right', 'wrong', 'right', 'right', 'wrong'];
    for (let i = 0; i < 6; i++) {
      expect(quiz.hash(s)).toBe(hashString(`${s.key.id}:${i}`));
      const wrong = ['A', 'B', 'C'].find((l) => l !== key[i])!;
      const r = quiz.step(s, given[i] === 'right' ? key[i] : wrong);
      if (r.kind !== 'ok') throw new Error(r.reason);
      expect(r.reward).toBe(given[i] === 'right' ? 1 : 0);
      s = r.state;
    }
    expect(quiz.outcome(s)).toEqual({ kind: 'coverage', value: [0, 1, 0, 1, 1, 0], target: [1, 1, 1, 1, 1, 1], success: false });
    expect(quiz.step(s, 'A')).toEqual({ kind: 'illegal', reason: 'the quiz is over' });
  });
});
