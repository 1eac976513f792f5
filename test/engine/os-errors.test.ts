/**
 * Issue 10, item 16: operating-system errors are one line naming the path,
 * with the documented exit code, never "internal error". The read-only run
 * directory is a real read-only mount (the suite runs as root, and root
 * ignores chmod).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OsError } from '../../src/core/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';
import { hotmess } from '../helpers/cli.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

const SPEC = { name: 'os', environment: 'kv-sum', horizons: [4], instances: 2, rollouts: 3, seed: 1, agents: [{ name: 'n', kind: 'noisy', params: { epsilon: 0.3 } }] };

let disk: Tmpfs | null = null;
afterEach(() => {
  disk?.unmount();
  disk = null;
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('operating-system errors', () => {
  it('--out under a file (ENOTDIR) and a too-long directory name (ENAMETOOLONG) are one-line usage errors', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'x');
    const s = await resolveScenario(parseScenario(SPEC), REGISTRY, null);
    const notDir = await failure(runScenario(s, { out: join(root, 'file', 'run'), registry: REGISTRY, version: 'test' }));
    expect(notDir).toBeInstanceOf(OsError);
    expect((notDir as OsError).exitCode).toBe(2);
    expect((notDir as OsError).message).toBe(`${join(root, 'file', 'run')}: could not create the run directory: a parent of this path is a file, not a directory (ENOTDIR)`);
    const long = await failure(runScenario(s, { out: join(root, 'r'.repeat(300)), registry: REGISTRY, version: 'test' }));
    expect((long as OsError).errno).toBe('ENAMETOOLONG');
    expect((long as OsError).exitCode).toBe(2);
  });

  it('a 300-character scenario name is refused at validation (it names the run directory)', () => {
    expect(() => parseScenario({ ...SPEC, name: 'n'.repeat(300) }, 's.yaml')).toThrow('s.yaml: name: at most 100 characters (it names the run directory)');
  });

  it('from the CLI: ENOTDIR is one line with exit 2, not "internal error"', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'x');
    const r = await hotmess('run', 'scenarios/demo.yaml', '--out', join(root, 'file', 'run'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`hotmess: ${join(root, 'file', 'run')}: could not create the run directory: a parent of this path is a file, not a directory (ENOTDIR)\n`);
  }, 60_000);

  it('run --analyze on a disk that fills after the rollouts: exit 0, the table printed, one warning for what could not be written', async () => {
    // 100 KiB holds the logs and analysis.json (about 20 KB) but not the report's plots.
    disk = mountTmpfs('100k');
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, JSON.stringify(SPEC));
    const run = join(disk.dir, 'run');
    const r = await hotmess('run', file, '--out', run, '--analyze');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/incoherence/i);
    expect(r.stderr).toMatch(new RegExp(`^hotmess: warning: report not written: ${run}/\\S+: could not write: no space left on device \\(ENOSPC\\)$`, 'm'));
    expect(r.stdout).not.toMatch(/^report:/m);
    expect(readFileSync(join(run, 'rollouts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
  }, 60_000);

  it('analyze of a read-only run directory prints the analysis and says it could not save it', async () => {
    disk = mountTmpfs('8m');
    const run = join(disk.dir, 'run');
    await runScenario(await resolveScenario(parseScenario(SPEC), REGISTRY, null), { out: run, registry: REGISTRY, version: 'test' });
    disk.remount('ro');
    const r = await hotmess('analyze', run, '--bootstrap', '0');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/incoherence/i);
    expect(r.stdout).toMatch(/analysis: not saved/);
    expect(r.stderr).toMatch(new RegExp(`^hotmess: warning: analysis not saved: ${join(run, 'analysis.json')}.*: read-only file system \\(EROFS\\)$`, 'm'));
    expect(r.stderr).not.toMatch(/internal error/);
  }, 60_000);
});
