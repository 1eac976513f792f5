/**
 * How a hint names a hotmess command, so that every hint, example and
 * "next:" line is one the user can paste: `npm run -s hotmess -- analyze RUN`
 * from a clone, `hotmess analyze RUN` when the bin is on PATH. The CLI sets
 * the prefix once per process from how it was invoked; library callers get
 * the form that works from a clone.
 */
let prefix = 'npm run -s hotmess --';

/** The command line for `args` (e.g. "analyze runs/demo"), as the user can paste it. */
export const hotmessCommand = (args: string): string => `${prefix} ${args}`;

/** Set by the CLI at start-up: `npm run -s hotmess --` or `hotmess`. */
export function setCommandPrefix(p: string): void {
  prefix = p;
}
