/**
 * kv-sum: the long-horizon execution task of Sinha et al. 2025, "The Illusion
 * of Diminishing Returns". A dictionary maps words to integers in [-99, 99];
 * each step reveals `keysPerStep` keys and the action is the new running sum.
 * The agent's own sum carries forward, so an early slip persists.
 */
import { z } from 'zod';
import { defineEnvironment, hashString, type Rng } from '../src/core/index.js';

const Params = z.object({
  dictSize: z.number().int().min(1).max(100000).default(64).describe('words in the dictionary an instance draws its keys from'),
  keysPerStep: z.number().int().min(1).max(100).default(1).describe('keys revealed per step; the agent adds their values to the running sum'),
});
type Params = z.infer<typeof Params>;

/**
 * Per-instance data, fixed at reset. A class instance, so immer never drafts
 * it: steps touch only `t` and `sum`.
 */
class Instance {
  constructor(
    readonly words: readonly string[],
    readonly values: readonly number[],
    /** Index into words of the keys revealed at step t (t from 1), keysPerStep each. */
    readonly schedule: readonly number[],
    /** True running sum after each step; index 0 is the start (0). */
    readonly truth: readonly number[],
    readonly keysPerStep: number,
  ) {}
  get horizon(): number {
    return this.truth.length - 1;
  }
}

interface State {
  readonly instance: Instance;
  readonly t: number;
  readonly sum: number;
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'po', 've', 'zu', 'ba', 'do', 'fi', 'gu', 'he', 'jo'];

function makeWords(n: number, rng: Rng): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < n) {
    const len = 2 + rng.int(2) + (n > 4000 ? 1 : 0);
    let w = '';
    for (let i = 0; i < len; i++) w += SYLLABLES[rng.int(SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

const Sum = z.number().int();

/** The words revealed at step t (one pass, no intermediate index array: observe runs every step). */
function revealedWords(s: State, t: number): string[] {
  const { schedule, words, keysPerStep: k } = s.instance;
  const keys: string[] = new Array(k);
  for (let i = 0; i < k; i++) keys[i] = words[schedule[(t - 1) * k + i]];
  return keys;
}

function oracleSum(s: State): number {
  const { schedule, values, keysPerStep: k } = s.instance;
  let sum = s.sum;
  const base = s.t * k;
  for (let i = 0; i < k; i++) sum += values[schedule[base + i]];
  return sum;
}

export default defineEnvironment<Params, State, number>({
  name: 'kv-sum',
  description: 'Running sum over dictionary values revealed a few keys per step (Sinha et al. 2025).',
  params: Params,
  horizonMeaning: 'number of steps; each reveals keysPerStep keys',
  maxHorizon: 1_000_000,
  reset(params, horizon, rng) {
    const words = makeWords(params.dictSize, rng);
    const values = words.map(() => rng.int(199) - 99);
    const schedule: number[] = new Array(horizon * params.keysPerStep);
    for (let i = 0; i < schedule.length; i++) schedule[i] = rng.int(params.dictSize);
    const truth: number[] = [0];
    for (let t = 1; t <= horizon; t++) {
      let s = truth[t - 1];
      for (let i = 0; i < params.keysPerStep; i++) s += values[schedule[(t - 1) * params.keysPerStep + i]];
      truth.push(s);
    }
    return { instance: new Instance(words, values, schedule, truth, params.keysPerStep), t: 0, sum: 0 };
  },
  actions: () => ({ kind: 'continuous', schema: Sum, description: 'an integer: the new running sum' }),
  transition(draft, action, s) {
    const t = s.t + 1;
    draft.t = t;
    draft.sum = action;
    const instance = s.instance;
    return { reward: action === instance.truth[t] ? 1 : 0, terminated: t >= instance.horizon };
  },
  instructions(s) {
    const { words, values } = s.instance;
    const lines = words.map((w, i) => `${w}: ${values[i]}`);
    return `You keep a running sum. The dictionary maps words to integers:\n${lines.join('\n')}\nThe sum starts at 0. Each step reveals ${s.instance.keysPerStep} key(s); add their values to your running sum and reply with the new sum.`;
  },
  observe(s) {
    const keys = s.t < s.instance.truth.length - 1 ? revealedWords(s, s.t + 1) : [];
    return {
      data: { step: s.t + 1, keys, sum: s.sum },
      text: `Step ${s.t + 1}. Your running sum so far: ${s.sum}. Keys: ${keys.join(', ')}. Reply with the new running sum.`,
    };
  },
  oracle: oracleSum,
  measure: (s, t) => ({ value: [s.sum], target: [s.instance.truth[t]] }),
  measureKind: 'squared',
  outcome(s) {
    const target = s.instance.truth[s.instance.truth.length - 1];
    return { kind: 'squared', value: [s.sum], target: [target], success: s.sum === target && s.t === s.instance.truth.length - 1 };
  },
  outcomeKind: 'squared',
  outcomeMeaning: 'final running sum against the true sum (squared error); success = exact',
  features: (s) => [s.sum],
  hash: (s) => hashString(`${s.t}:${s.sum}`),
  perturb(s, rng) {
    // Documented error distribution: the oracle sum off by a uniform d in [-99, 99] \ {0}.
    const d = rng.int(198) - 99;
    return oracleSum(s) + (d >= 0 ? d + 1 : d);
  },
  systematicError: (s) => oracleSum(s) + 10,
});
