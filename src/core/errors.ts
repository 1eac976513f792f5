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

/** The first issue of a zod error as `path: message` (`root` when at the top): the one schema-error formatter. */
export function zodIssue(error: { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }> }, root = '(root)'): string {
  const issue = error.issues[0];
  return `${issue?.path.map(String).join('.') || root}: ${issue?.message ?? 'invalid'}`;
}
