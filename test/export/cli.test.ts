/**
 * `hotmess export inspect` through the CLI in-process: the summary and
 * --json, and bad input as one line with its exit code and nothing written.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotmess } from '../helpers/cli.js';
import { cleanup, tempDir } from '../import/helpers.js';
import { inspectLog, HAVE_INSPECT, warnSkipped } from '../import/inspect-fixtures.js';

warnSkipped('test/export/cli');

afterAll(cleanup);

describe.skipIf(!HAVE_INSPECT)('hotmess export inspect (CLI)', () => {
  let root: string;
  let run: string;
  beforeAll(async () => {
    root = tempDir('hotmess-export-cli-');
    run = join(root, 'run');
    expect((await hotmess('import', 'inspect', inspectLog('log_streaming.eval'), '--out', run)).status).toBe(0);
  });

  it('writes the log and says where, or prints the summary with --json', async () => {
    const r = await hotmess('export', 'inspect', run, '--out', join(root, 'logs'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^exported 4 rollouts as 2 samples × up to 2 epochs \(4 steps, 4 with observation text\)\nwrote .*\/logs\/.+_log_streaming_[0-9a-f]{22}\.eval\n/);
    const j = await hotmess('export', 'inspect', run, '--out', join(root, 'x.json'), '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ format: 'json', samples: 2, epochs: 2, rollouts: 4, steps: 4 });
  });

  it('a missing run directory: one line, exit 4; an --out that is a plain file: exit 2; nothing written', async () => {
    const r = await hotmess('export', 'inspect', join(root, 'nope'), '--out', join(root, 'a.eval'));
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^hotmess: .*nope: not a run directory \(does not exist\)\n$/);
    const plain = join(root, 'plain.txt');
    writeFileSync(plain, 'x');
    const p = await hotmess('export', 'inspect', run, '--out', plain);
    expect(p.status).toBe(2);
    expect(p.stderr).toBe(`hotmess: --out ${plain}: expected a .eval or .json file, or a directory\n`);
    expect(existsSync(join(root, 'a.eval'))).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes('.writing-'))).toEqual([]);
  });
});
