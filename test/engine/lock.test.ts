/**
 * Issue 10, item 4: one writer per run directory. A second `run --resume`
 * next to a live run is refused (a real second process), a lock whose
 * process is gone is taken over, and fork and import --force respect it.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HotmessError } from '../../src/core/index.js';
import { forkRun, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { LOCK_FILE, lockRun } from '../../src/log/index.js';
import { importJsonl } from '../../src/import/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { CLI, readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { hotmess } from '../helpers/cli.js';

const YAML = `name: lock
environment: kv-sum
params: { dictSize: 32, keysPerStep: 1 }
horizons: [200]
instances: 4
rollouts: 60
seed: 3
agents:
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
`;
const SMALL = { name: 'small', environment: 'kv-sum', horizons: [4], instances: 1, rollouts: 2, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] };

const env = { ...process.env, CI: '1' };

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid that existed and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('the run directory lock', () => {
  it('refuses a --resume started next to a live run, naming the holder; the run finishes whole', async () => {
    const dir = tempDir();
    const file = join(dir, 'lock.yaml');
    writeFileSync(file, YAML);
    const out = join(dir, 'run');
    // Its own process group: SIGSTOP/SIGCONT reach all of it.
    const first = spawn(CLI[0], [...CLI.slice(1), 'run', file, '--out', out], { stdio: 'ignore', env, detached: true });
    const exited = new Promise<number | null>((r) => first.once('exit', r));
    await waitFor(() => existsSync(join(out, 'manifest.json')), 60_000);
    // Frozen mid-run, alive: however fast this machine is, the second process meets a live holder.
    process.kill(-first.pid!, 'SIGSTOP');
    const holder = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8'));
    // The second process is this one: the holder is the spawned run.
    const second = await hotmess('run', file, '--out', out, '--resume');
    const stillRunning = first.exitCode === null;
    process.kill(-first.pid!, 'SIGCONT');
    expect(second.status, second.stderr).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`in use by "hotmess run" \\(pid ${holder.pid}, since .*\\); wait for it to finish or stop it`));
    expect(stillRunning).toBe(true);
    expect(await exited).toBe(0);
    const ids = readJsonlFile<{ rollout: string }>(join(out, 'rollouts.jsonl')).map((r) => r.rollout);
    expect(ids).toHaveLength(240);
    expect(new Set(ids).size).toBe(240);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('takes over a lock whose process is gone on this host (kill -9), and refuses one from another host', async () => {
    const out = join(tempDir(), 'run');
    const s = await resolveScenario(parseScenario(SMALL), REGISTRY, null);
    await runScenario(s, { out, registry: REGISTRY, version: 'test' });
    const lockPath = join(out, LOCK_FILE);
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), command: 'hotmess run', since: '2026-01-01T00:00:00Z' }));
    const r = await runScenario(s, { out, registry: REGISTRY, version: 'test', resume: true });
    expect(r.status).toBe('finished');
    expect(existsSync(lockPath)).toBe(false);

    writeFileSync(lockPath, JSON.stringify({ pid: 1234, host: 'elsewhere', command: 'hotmess run --resume', since: '2026-01-01T00:00:00Z' }));
    await expect(runScenario(s, { out, registry: REGISTRY, version: 'test', resume: true })).rejects.toThrow(
      `${out}: in use by "hotmess run --resume" (pid 1234 on host elsewhere, since 2026-01-01T00:00:00Z); if that process is gone, delete ${lockPath}, then try again`,
    );
  });

  it('a live holder in this process blocks run --resume, fork into the directory and import --force over it', async () => {
    const root = tempDir();
    const out = join(root, 'run');
    const s = await resolveScenario(parseScenario(SMALL), REGISTRY, null);
    await runScenario(s, { out, registry: REGISTRY, version: 'test' });
    const lock = lockRun(out, 'test holder');
    try {
      const refused = (e: unknown) => e instanceof HotmessError && e.exitCode === 2 && /in use by "test holder" \(pid \d+/.test(e.message);
      expect(await runScenario(s, { out, registry: REGISTRY, version: 'test', resume: true }).catch((e) => refused(e))).toBe(true);
      // A fork into a locked, otherwise empty directory.
      const forkOut = join(root, 'fork');
      mkdirSync(forkOut);
      const forkLock = lockRun(forkOut, 'test holder');
      // The fork refuses the non-empty directory before it would lock: either way, no second writer.
      await expect(forkRun({ run: out, rollout: 'o:4:0:0', step: 1, samples: 2, out: forkOut, registry: REGISTRY, version: 'test' })).rejects.toThrow(/not empty|in use/);
      forkLock.release();
      const jsonl = join(root, 'in.jsonl');
      writeFileSync(jsonl, '{"type":"step","group":"g","rollout":0,"t":1,"action":"a"}\n{"type":"outcome","group":"g","rollout":0,"outcome":{"kind":"coverage","value":[1],"target":[1]}}\n');
      expect(await importJsonl(jsonl, { out, force: true }).catch((e) => refused(e))).toBe(true);
    } finally {
      lock.release();
    }
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});
