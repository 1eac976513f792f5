/**
 * The CLI in-process: `main(argv, io)` with buffers for stdout and stderr and
 * no terminal, as a spawned `CI=1 hotmess …` would see it. Spawn the real
 * process only where the process is the point (Ctrl-C, kill -9, tmux, bin).
 */
import { main, type CliIO } from '../../src/cli/main.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `hotmess ARGS…`; resolves once the command has finished (never rejects for a failing command). */
export function hotmess(...args: readonly string[]): Promise<CliResult> {
  return hotmessWithEnv({}, args);
}

/**
 * Run `hotmess ARGS…` with these environment variables set (undefined: unset)
 * for the duration of the call, then restored. Calls with an env must not overlap.
 */
export async function hotmessWithEnv(env: Readonly<Record<string, string | undefined>>, args: readonly string[]): Promise<CliResult> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  const set = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
  for (const [k, v] of Object.entries(env)) set(k, v);
  try {
    return await invoke(args);
  } finally {
    for (const [k, v] of saved) set(k, v);
  }
}

async function invoke(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let forced: number | null = null;
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    exit: (code) => {
      forced = code;
    },
    isTTY: { stdin: false, stdout: false, stderr: false },
  };
  const code = await main(args, io);
  return { status: forced ?? code, stdout, stderr };
}
