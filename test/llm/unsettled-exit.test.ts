/**
 * Regression (issue 10, item 1): when the event loop emptied while a command
 * was still pending, Node ended the CLI with exit 13 and no message. The CLI
 * now says so in one line with its exit code, and how to continue the run
 * when its directory exists. Real processes: the fault is the process's end.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { afterEach } from 'vitest';
import { CLI, cleanup, tempDir } from './helpers.js';
import { cliInvocation } from '../../src/cli/output.js';
import { hotmess } from '../helpers/cli.js';

afterEach(cleanup);

/** The CLI as a real process: how it ends is the point. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(CLI[0], [...CLI.slice(1), ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const scenario = (dir: string) => {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(
    file,
    stringify({ name: 'hang', environment: resolve('test/fixtures/hang-on-load-env.ts'), horizons: [2], instances: 1, rollouts: 2, seed: 1, agents: [{ name: 'oracle', kind: 'oracle' }] }),
  );
  return file;
};

describe('an invocation that stops with work pending', () => {
  it('prints one line with the exit code and, when the run directory exists, the resume command', async () => {
    const dir = tempDir();
    const file = scenario(dir);
    const out = join(dir, 'run');
    // The run directory comes from an ordinary run in this process; only the hung invocation needs its own.
    const first = await hotmess('run', file, '--out', out);
    expect(first.status).toBe(0);
    const hung = await runCli(['run', file, '--out', out, '--resume'], { HOTMESS_TEST_HANG_ON_LOAD: '1' });
    expect(hung.status).toBe(1);
    expect(hung.stdout).toBe('');
    expect(hung.stderr).toBe(`hotmess: internal error: stopped with work still pending and nothing left to wake it (exit code 1); finished rollouts are kept; continue with: ${cliInvocation()} run ${file} --out ${out} --resume\n`);
  }, 60_000);

  it('says nothing was written when there is no run directory', async () => {
    const dir = tempDir();
    const out = join(dir, 'never');
    const hung = await runCli(['run', scenario(dir), '--out', out], { HOTMESS_TEST_HANG_ON_LOAD: '1' });
    expect(hung.status).toBe(1);
    expect(hung.stderr).toBe('hotmess: internal error: stopped with work still pending and nothing left to wake it (exit code 1); no run directory was written; run the command again\n');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
