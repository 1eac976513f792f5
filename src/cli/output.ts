/**
 * How the CLI talks to people: one-line errors, progress, Ctrl-C.
 * Interactivity is decided once per invocation, in Cli (io.ts).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { errorText, HotmessError, errnoOf, fromOsError, isHotmessError } from '../core/index.js';
import type { Cli, TextSink } from './io.js';

/** Print an error as one line (never a stack trace) and return its exit code. */
export function reportError(e: unknown, stderr: TextSink): number {
  // An operating-system error that escaped without context still gets one line naming its path.
  const sys = e as { path?: unknown; syscall?: unknown } | null;
  if (!isHotmessError(e) && errnoOf(e) !== null) e = fromOsError(e, typeof sys?.path === 'string' ? sys.path : '(unknown path)', typeof sys?.syscall === 'string' ? sys.syscall : 'access it');
  if (isHotmessError(e)) {
    stderr.write(`hotmess: ${e.message}\n`);
    return e.exitCode;
  }
  const msg = errorText(e);
  stderr.write(`hotmess: internal error: ${msg.split('\n')[0]}\n`);
  if (process.env.HOTMESS_DEBUG && e instanceof Error) stderr.write(`${e.stack}\n`);
  return 1;
}

/** Whether an executable `hotmess` is on PATH. */
function hotmessOnPath(env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, 'hotmess'), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * How hints name the CLI so the user can paste them: `npm run -s hotmess --`
 * when invoked through npm or when no `hotmess` bin is on PATH, else `hotmess`.
 */
export const cliInvocation = (env: NodeJS.ProcessEnv = process.env): string =>
  env.npm_lifecycle_event !== 'hotmess' && hotmessOnPath(env) ? 'hotmess' : 'npm run -s hotmess --';

/**
 * Progress for long work: a redrawn bar on a TTY (stderr), plain periodic
 * lines otherwise, so logs of CI runs stay readable.
 */
export function createProgress(cli: Cli, label: string, initialTotal: number) {
  let total = initialTotal;
  const stream = cli.io.stderr;
  const tty = cli.progressBar;
  let done = 0;
  let lastPlain = 0;
  let lastDraw = 0;
  const start = Date.now();
  const draw = (force = false) => {
    const now = Date.now();
    if (tty) {
      if (!force && now - lastDraw < 80) return;
      lastDraw = now;
      const width = 30;
      const frac = total > 0 ? done / total : 1;
      const filled = Math.round(frac * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      stream.write(`\r${label} ${bar} ${done}/${total} ${(frac * 100).toFixed(0)}%  ${((now - start) / 1000).toFixed(1)}s`);
    } else if (force || now - lastPlain >= 2000) {
      lastPlain = now;
      stream.write(`${label}: ${done}/${total} (${((now - start) / 1000).toFixed(1)}s)\n`);
    }
  };
  return {
    tick(n = 1) {
      done += n;
      draw();
    },
    update(n: number, newTotal: number) {
      done = n;
      total = newTotal;
      draw();
    },
    finish() {
      draw(true);
      if (tty) stream.write('\n');
    },
  };
}

export { HotmessError };

/** A run directory's timestamp suffix: 20261127-183337. */
export const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/**
 * Run `body` with Ctrl-C (and SIGTERM) turned into an abort signal: the first
 * stops cleanly, keeping what `kept` names; a second forces the exit.
 */
export async function withInterrupt<T>(cli: Cli, kept: string, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = () => {
    if (controller.signal.aborted) {
      // One Ctrl-C can arrive twice (the terminal signals the whole group and
      // tsx relays it to this process too): only a later press forces.
      if (Date.now() - firstAt > 1000) cli.io.exit(130);
      return;
    }
    firstAt = Date.now();
    cli.err(`\nhotmess: interrupting; ${kept} are kept (Ctrl-C again to force)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
