/**
 * The model's own uncertainty about its action, from token log-probabilities
 * (metrics.md H4). Pure; no I/O.
 *
 * π is the probability of the chosen action: the product over the tokens
 * that spell the action's value in the tool call's arguments. H_model is the
 * entropy (bits) over the candidate actions, recovered from the top-K
 * alternatives at the first token of the value, where the candidates first
 * differ: each alternative that is consistent with exactly one legal action
 * gives that action its probability. It is null when that cannot be done: a
 * continuous space, an alternative consistent with several actions (a digit
 * that starts 4, 42 and 43), or no top-K alternatives.
 */
import { canonicalJson, type Action, type ActionSpace } from '../core/index.js';

export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly top?: readonly { readonly token: string; readonly logprob: number }[];
}

export interface ActionUncertainty {
  /** π(t): probability of the chosen action's tokens; null when the action cannot be found in the tokens. */
  readonly prob: number | null;
  /** H_model(t) in bits over the recovered candidate actions, or null. */
  readonly entropy: number | null;
}

const NONE: ActionUncertainty = { prob: null, entropy: null };

/** Where the chosen action's value sits in the generated text: content only (no quotes for strings). */
interface ValueSpan {
  readonly start: number;
  readonly end: number;
  /** A string value (its content excludes the quotes). */
  readonly quoted: boolean;
}

/** The span of the last `"action": <value>` in `text`, or null. */
export function actionValueSpan(text: string): ValueSpan | null {
  const re = /"action"\s*:\s*/g;
  let m: RegExpExecArray | null;
  let at = -1;
  while ((m = re.exec(text)) !== null) at = m.index + m[0].length;
  if (at < 0 || at >= text.length) return null;
  if (text[at] === '"') {
    let i = at + 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    return { start: at + 1, end: Math.min(i, text.length), quoted: true };
  }
  const num = /^-?[0-9][0-9.eE+-]*/.exec(text.slice(at));
  if (num) return { start: at, end: at + num[0].length, quoted: false };
  if (text[at] === '{' || text[at] === '[') {
    // Objects and arrays: balanced scan, strings skipped.
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return { start: at, end: i + 1, quoted: false };
      }
    }
    return null;
  }
  const lit = /^(true|false|null)/.exec(text.slice(at));
  return lit ? { start: at, end: at + lit[0].length, quoted: false } : null;
}

/** How an action is spelled inside the arguments: a string's content, anything else as JSON. */
const spelled = (a: Action): string => (typeof a === 'string' ? JSON.stringify(a).slice(1, -1) : canonicalJson(a));

/**
 * π and H_model for one reply. `tokens` are the reply's generated tokens in
 * order; their concatenation must contain the tool call's arguments.
 */
export function actionUncertainty(tokens: readonly TokenLogprob[], space: ActionSpace): ActionUncertainty {
  if (tokens.length === 0) return NONE;
  const starts = new Array<number>(tokens.length);
  let text = '';
  for (let i = 0; i < tokens.length; i++) {
    starts[i] = text.length;
    text += tokens[i].token;
  }
  const span = actionValueSpan(text);
  if (!span || span.end <= span.start) return NONE;
  let logp = 0;
  let first = -1;
  for (let i = 0; i < tokens.length; i++) {
    const s = starts[i];
    const e = s + tokens[i].token.length;
    if (e <= span.start || s >= span.end) continue;
    if (first < 0) first = i;
    logp += tokens[i].logprob;
  }
  if (first < 0) return NONE;
  const prob = Math.exp(logp);
  return { prob, entropy: candidateEntropy(tokens[first], text.slice(0, starts[first]), span, space) };
}

function candidateEntropy(tok: TokenLogprob, before: string, span: ValueSpan, space: ActionSpace): number | null {
  if (space.kind !== 'discrete' || !tok.top || tok.top.length === 0) return null;
  const names = space.actions.map(spelled);
  const mass = new Map<number, number>();
  for (const alt of tok.top) {
    const written = (before + alt.token).slice(span.start);
    if (written.length === 0) return null; // The alternative stops before the value: it tells no action apart.
    let match = -1;
    for (let k = 0; k < names.length; k++) {
      if (!consistent(written, names[k], span.quoted)) continue;
      if (match >= 0) return null; // Several actions start this way: not recoverable at this token.
      match = k;
    }
    if (match >= 0) mass.set(match, (mass.get(match) ?? 0) + Math.exp(alt.logprob));
  }
  if (mass.size === 0) return null;
  let h = 0;
  for (const p of mass.values()) if (p > 0) h -= p * Math.log2(p);
  return h;
}

/** Whether text written from the value's start can still become `name` (or already is, followed by its terminator). */
function consistent(written: string, name: string, quoted: boolean): boolean {
  if (written.length <= name.length) return name.startsWith(written);
  if (!written.startsWith(name)) return false;
  const next = written[name.length];
  return quoted ? next === '"' : !/[0-9.eE+\-A-Za-z_]/.test(next);
}
