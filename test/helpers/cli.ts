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
export async function hotmess(...args: readonly string[]): Promise<CliResult> {
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
