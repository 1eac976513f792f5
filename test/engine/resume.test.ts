import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { hotmess } from '../helpers/cli.js';
import { CLI, normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';

/** A scenario big enough that a kill lands mid-run (320 rollouts; the kill comes after ~80). */
const SCENARIO = `name: resume
environment: kv-sum
params: { dictSize: 32, keysPerStep: 1 }
horizons: [50, 200]
instances: 4
rollouts: 20
seed: 5
agents:
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
  - { name: sc, kind: self-conditioning, params: { epsilon0: 0.05, growth: 0.1 } }
`;

const runCli = (args: string[]) => hotmess(...args);

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('crash safety', () => {
  it('resumes after kill -9 with exactly the rollouts of an uninterrupted run', async () => {
    const dir = tempDir();
    const file = join(dir, 'resume.yaml');
    writeFileSync(file, SCENARIO);
    const reference = join(dir, 'reference');
    expect((await runCli(['run', file, '--out', reference])).status).toBe(0);

    const crashed = join(dir, 'crashed');
    // Its own process group: kill -9 reaches all of it.
    const child = spawn(CLI[0], [...CLI.slice(1), 'run', file, '--out', crashed], { stdio: 'ignore', detached: true, env: { ...process.env, CI: '1' } });
    const rolloutsFile = join(crashed, 'rollouts.jsonl');
    await waitFor(() => existsSync(rolloutsFile) && statSync(rolloutsFile).size > 20_000, 60_000);
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    const before = readJsonlFile(rolloutsFile).length;
    expect(before).toBeLessThan(320);
    // Simulate the worst moment too: a torn half-line at the end of both logs.
    appendFileSync(rolloutsFile, '{"rollout":"noisy:200:3:19","agent":"noi');
    appendFileSync(join(crashed, 'steps.jsonl'), '{"rollout":"noisy:200:3:19","t":1,"act');

    const resumed = await runCli(['run', file, '--out', crashed, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/already done/);
    for (const f of ['rollouts.jsonl', 'steps.jsonl']) {
      expect(normalisedLines(join(crashed, f))).toEqual(normalisedLines(join(reference, f)));
    }
    const manifest = JSON.parse(readFileSync(join(crashed, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('finished');
    // Resuming a finished run is a no-op.
    const again = await runCli(['run', file, '--out', crashed, '--resume']);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/0 rollouts run, 320 already done/);
  }, 120_000);

  it('refuses to overwrite an existing run without --resume, and a different scenario with it', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SCENARIO.replace('rollouts: 20', 'rollouts: 2').replace('[50, 200]', '[5]'));
    const out = join(dir, 'run');
    expect((await runCli(['run', file, '--out', out])).status).toBe(0);
    const again = await runCli(['run', file, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists.*--resume/);
    writeFileSync(file, SCENARIO.replace('rollouts: 20', 'rollouts: 3').replace('[50, 200]', '[5]'));
    const other = await runCli(['run', file, '--out', out, '--resume']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/different scenario/);
  }, 60_000);
});
