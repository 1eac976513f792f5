import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng, hashString } from '../../src/core/index.js';
import quiz, { RIGHT_CHUNK } from '../../environments/quiz.js';

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

  it('shares every full chunk of answers with the state before: a step copies at most one chunk, so a rollout is linear in H', () => {
    const H = 3 * RIGHT_CHUNK + 5;
    const p = quiz.params.parse({});
    let s = quiz.reset(p, H, createRng('long'));
    const key = s.key.answers;
    for (let t = 0; t < H; t++) {
      const r = quiz.step(s, t % 3 === 0 ? 'A' : key[t]);
      if (r.kind !== 'ok') throw new Error(r.reason);
      // Every chunk but the one written to is the very same array as before the step.
      const written = Math.floor(t / RIGHT_CHUNK);
      for (let c = 0; c < s.right.length; c++) if (c !== written) expect(r.state.right[c]).toBe(s.right[c]);
      if (t % RIGHT_CHUNK === 0) expect(r.patches).toEqual([{ op: 'add', path: ['right', written], value: [t % 3 === 0 && key[t] !== 'A' ? 0 : 1] }, ...r.patches.slice(1)]);
      s = r.state;
    }
    expect(s.right.map((c) => c.length)).toEqual([RIGHT_CHUNK, RIGHT_CHUNK, RIGHT_CHUNK, 5]);
    const o = quiz.outcome(s);
    expect(o.value).toEqual(Array.from({ length: H }, (_, t) => (t % 3 === 0 && key[t] !== 'A' ? 0 : 1)));
    expect(s.score).toBe((o.value as number[]).reduce((a, b) => a + b, 0));
  });

  it('hands out the same observation object for question t to every instance of the same length and letters', () => {
    const p = quiz.params.parse({ choices: 3 });
    const a = quiz.reset(p, 9, createRng('a'));
    const b = quiz.reset(p, 9, createRng('b'));
    expect(a.key.id).not.toBe(b.key.id);
    const r = quiz.step(a, a.key.answers[0]);
    if (r.kind !== 'ok') throw new Error(r.reason);
    expect(quiz.observe(r.state) as object).toBe(quiz.observe({ ...b, t: 1 }));
    expect(quiz.observe(r.state)).toEqual({ data: { question: 2, choices: ['A', 'B', 'C'] }, text: 'Question 2 of 9. Choices: A, B, C. Reply with one letter.' });
    // Another length or other letters: another text.
    expect(quiz.observe({ ...quiz.reset(p, 10, createRng('a')), t: 1 }).text).toBe('Question 2 of 10. Choices: A, B, C. Reply with one letter.');
    expect(quiz.observe({ ...quiz.reset(quiz.params.parse({ choices: 2 }), 9, createRng('a')), t: 1 }).text).toBe('Question 2 of 9. Choices: A, B. Reply with one letter.');
  });
});
