/**
 * Where one CLI invocation reads its terminal from and writes to: the
 * process's own streams, or a test's buffers (the CLI runs in-process).
 */
export interface TextSink {
  write(text: string): unknown;
}

export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** End now with this code: a forced second Ctrl-C, a closed pipe. */
  readonly exit: (code: number) => void;
  /** Which streams are terminals; interactivity is decided from this once per invocation. */
  readonly isTTY: { readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean };
  /** stdout's width in columns when it is a terminal. */
  readonly columns?: number;
}

/** The real process: its streams, its TTYs, process.exit. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    exit: (code) => process.exit(code),
    isTTY: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    columns: process.stdout.columns,
  };
}

/**
 * The width a plain-text table should fit: the terminal's columns on a TTY,
 * else $COLUMNS when it is a number, else 100; never below 80, the narrowest
 * terminal the compact table is laid out for.
 */
export function targetWidth(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined> = process.env): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return Math.max(80, stream.columns);
  const fromEnv = Number(env.COLUMNS);
  if (Number.isSafeInteger(fromEnv) && fromEnv > 0) return Math.max(80, fromEnv);
  return 100;
}

/** One invocation: its io, what the terminal allows, and the exit code a command may set without throwing. */
export class Cli {
  /** Keys in and a screen out, and not CI: the interactive views (replay's TUI). */
  readonly interactive: boolean;
  /** stdin and stdout are terminals (play reads keys; CI does not matter to a person typing). */
  readonly terminal: boolean;
  /** stderr is a terminal and not CI: progress is a redrawn bar rather than plain lines. */
  readonly progressBar: boolean;
  /** The width plain-text tables are fitted to (see targetWidth). */
  readonly width: number;
  exitCode = 0;
  /** The run directory this invocation writes, and the command that continues it (for a last-resort exit line). */
  writing: { readonly dir: string; readonly resume: string } | null = null;

  constructor(
    readonly io: CliIO,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const ci = Boolean(env.CI);
    this.terminal = io.isTTY.stdin && io.isTTY.stdout;
    this.interactive = this.terminal && !ci;
    this.progressBar = io.isTTY.stderr && !ci;
    this.width = targetWidth({ isTTY: io.isTTY.stdout, columns: io.columns }, env);
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** A warning line on stderr: `hotmess: warning: …`. */
  readonly warn = (w: string): void => {
    this.io.stderr.write(`hotmess: warning: ${w}\n`);
  };

  json(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}
