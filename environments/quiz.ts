/**
 * quiz: H independent multiple-choice questions with m choices each; the
 * answer key is in the instructions, so it is a lookup task for a model.
 * The question at step t never depends on earlier answers, so the state
 * hash is the instance and the step alone: every rollout of a group faces the same decision
 * at t, and a biased or mixed agent deviates at the same questions in
 * every rollout. That makes the outcome's split closed-form (docs/paper.md):
 * with a deviation at a fraction r of questions and noise ε elsewhere,
 * E[Bias²] = r + (1−r)(ε² + ε(1−ε)/N) and E[Var] = (1−r)(N−1)/N·ε(1−ε)
 * for the coverage of correct answers. The answers given live in the
 * state (and in `features`), not in the hash.
 */
import { z } from 'zod';
import { defineEnvironment, hashString, IdleMemo, type Observation } from '../src/core/index.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const Params = z.object({ choices: z.number().int().min(2).max(26).default(4).describe('answer letters per question (A, B, …); one is right') }).strict();
type Params = z.infer<typeof Params>;

/** Fixed at reset; a class instance so immer never drafts it. */
class Key {
  constructor(
    /** Drawn at reset: tells instances apart in the hash. */
    readonly id: string,
    readonly answers: readonly string[],
    readonly letters: readonly string[],
    /** The observations, shared by every instance of this length and these letters. */
    readonly script: Script,
  ) {}
}

/** Questions whose observation a script keeps: a few MB at most per script. */
const SCRIPT_STEPS = 16_384;
/** Scripts kept at once (distinct horizon × letters pairs); the oldest goes first. */
const SCRIPTS_KEPT = 8;

/**
 * The observation before question t + 1 depends only on t, the horizon and
 * the letters, never on the answers: built once on first use, then handed
 * out again (the same object, so the engine's hash of its text is reused).
 */
class Script {
  private readonly observations: Observation[] = [];
  private readonly tail: string;
  constructor(
    readonly horizon: number,
    readonly letters: readonly string[],
  ) {
    this.tail = ` of ${horizon}. Choices: ${letters.join(', ')}. Reply with one letter.`;
  }
  at(t: number): Observation {
    const memo = this.observations[t];
    if (memo !== undefined) return memo;
    const q = t + 1;
    const obs: Observation = { data: { question: q, choices: this.letters as string[] }, text: 'Question ' + q + this.tail };
    if (t < SCRIPT_STEPS) this.observations[t] = obs;
    return obs;
  }
}

/** Let go once the process stops resetting quizzes. */
const SCRIPTS = new IdleMemo<string, Script>(SCRIPTS_KEPT);

function scriptFor(horizon: number, letters: readonly string[]): Script {
  const key = `${horizon}:${letters.length}`;
  let script = SCRIPTS.get(key);
  if (script === undefined) {
    script = new Script(horizon, letters);
    SCRIPTS.set(key, script);
  }
  return script;
}

/**
 * Answers are kept in chunks of this many: a step copies (immer's copy on
 * write) the last chunk and the list of chunks, never all t answers, so a
 * rollout costs linear time in its horizon, not quadratic.
 */
export const RIGHT_CHUNK = 1024;

interface State {
  readonly key: Key;
  readonly t: number;
  /** 1 where question i+1 was answered right, 0 where wrong: entry i is right[⌊i/RIGHT_CHUNK⌋][i mod RIGHT_CHUNK]; t in all. */
  readonly right: readonly (readonly number[])[];
  readonly score: number;
}

export default defineEnvironment<Params, State, string>({
  name: 'quiz',
  description: 'H independent multiple-choice questions; the answer key is given. Closed-form bias/variance for planted agents.',
  params: Params,
  horizonMeaning: 'number of questions',
  maxHorizon: 1_000_000,
  reset(params, horizon, rng) {
    const letters = LETTERS.slice(0, params.choices).split('');
    const answers: string[] = new Array(horizon);
    for (let i = 0; i < horizon; i++) answers[i] = letters[rng.int(letters.length)];
    const id = rng.uint32().toString(36);
    return { key: new Key(id, answers, letters, scriptFor(horizon, letters)), t: 0, right: [], score: 0 };
  },
  actions: (s) => ({ kind: 'discrete', actions: s.key.letters }),
  transition(draft, action, s) {
    const key = s.key;
    const t = s.t;
    if (t >= key.answers.length) return { illegal: 'the quiz is over' };
    const ok = action === key.answers[t] ? 1 : 0;
    const chunk = Math.floor(t / RIGHT_CHUNK);
    // Index writes, not push: the same patches (immer's "add" past the end), without proxying push and length.
    if (chunk === s.right.length) draft.right[chunk] = [ok];
    else draft.right[chunk][t - chunk * RIGHT_CHUNK] = ok;
    draft.score = s.score + ok;
    draft.t = t + 1;
    return { reward: ok, terminated: t + 1 >= key.answers.length };
  },
  instructions(s) {
    const lines = s.key.answers.map((a, i) => `${i + 1}: ${a}`);
    return `A quiz of ${s.key.answers.length} questions, choices ${s.key.letters.join(', ')}. The answer key:\n${lines.join('\n')}\nAt each question, reply with its answer from the key.`;
  },
  observe: (s) => s.key.script.at(s.t),
  oracle: (s) => s.key.answers[Math.min(s.t, s.key.answers.length - 1)],
  measure: (s, t) => ({ value: [s.score], target: [t] }),
  measureKind: 'squared',
  outcome(s) {
    const n = s.key.answers.length;
    const value = new Array<number>(n);
    for (let i = 0; i < n; i++) value[i] = s.right[Math.floor(i / RIGHT_CHUNK)]?.[i % RIGHT_CHUNK] ?? 0;
    return { kind: 'coverage', value, target: value.map(() => 1), success: s.score === n };
  },
  outcomeKind: 'coverage',
  outcomeMeaning: 'coverage over questions: which were answered right; success = all right',
  features: (s) => [s.score],
  hash: (s) => hashString(`${s.key.id}:${s.t}`),
  systematicError(s) {
    // A fixed habit: the next letter after the right one.
    const { letters, answers } = s.key;
    const i = letters.indexOf(answers[Math.min(s.t, answers.length - 1)]);
    return letters[(i + 1) % letters.length];
  },
});
