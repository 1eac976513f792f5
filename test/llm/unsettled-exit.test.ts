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
import { cleanup, runCli, tempDir } from './helpers.js';
import { afterEach } from 'vitest';

afterEach(cleanup);

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
    const first = await runCli(['run', file, '--out', out]);
    expect(first.status).toBe(0);
    const hung = await runCli(['run', file, '--out', out, '--resume'], { HOTMESS_TEST_HANG_ON_LOAD: '1' });
    expect(hung.status).toBe(1);
    expect(hung.stdout).toBe('');
    expect(hung.stderr).toBe(`hotmess: internal error: stopped with work still pending and nothing left to wake it (exit code 1); finished rollouts are kept; continue with: hotmess run ${file} --out ${out} --resume\n`);
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
