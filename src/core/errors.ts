/**
 * Typed errors with stable codes. The CLI maps each code to an exit code and
 * prints `message` as one line; nothing else in the codebase prints errors.
 */
export const EXIT_CODES = {
  usage: 2,
  scenario: 2,
  input: 3,
  log: 4,
  agent: 5,
  network: 6,
  budget: 7,
  calibration: 8,
  internal: 1,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export class HotmessError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'HotmessError';
  }
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export const isHotmessError = (e: unknown): e is HotmessError => e instanceof HotmessError;

/** "did you mean" suggestion by edit distance, for unknown plugin names. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const hint = bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
  return `${hint} known: ${known.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** What an error says, whatever was thrown: the one error-text formatter. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The first line of what an error says, for messages that must stay one line. */
export const errorLine = (e: unknown): string => errorText(e).split('\n')[0];

interface ZodIssueLike {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

export interface ZodIssueOptions {
  /** Said where the issue has no path (default `(root)`); '' says the message alone. */
  readonly root?: string;
  /** A path the parsed value sits under, e.g. `agents.0.params`. */
  readonly under?: string;
}

const issueText = (issue: ZodIssueLike | undefined, o: ZodIssueOptions): string => {
  const where = [...(o.under ? [o.under] : []), ...(issue?.path.map(String) ?? [])].join('.') || (o.root ?? '(root)');
  const message = issue?.message ?? 'invalid';
  return where ? `${where}: ${message}` : message;
};

/** The first issue of a zod error as `path: message`: the one schema-error formatter. */
export function zodIssue(error: { readonly issues: ReadonlyArray<ZodIssueLike> }, o: ZodIssueOptions = {}): string {
  return issueText(error.issues[0], o);
}

/** Every issue of a zod error, one `path: message` line each. */
export function zodIssues(error: { readonly issues: ReadonlyArray<ZodIssueLike> }, o: ZodIssueOptions = {}): string[] {
  return error.issues.length === 0 ? [issueText(undefined, o)] : error.issues.map((i) => issueText(i, o));
}
