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
}

/** The real process: its streams, its TTYs, process.exit. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    exit: (code) => process.exit(code),
    isTTY: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  };
}

/** One invocation: its io, what the terminal allows, and the exit code a command may set without throwing. */
export class Cli {
  /** Keys in and a screen out, and not CI: the interactive views (replay's TUI). */
  readonly interactive: boolean;
  /** stdin and stdout are terminals (play reads keys; CI does not matter to a person typing). */
  readonly terminal: boolean;
  /** stderr is a terminal and not CI: progress is a redrawn bar rather than plain lines. */
  readonly progressBar: boolean;
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
