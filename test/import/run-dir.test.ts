/**
 * The output directory appears whole or not at all: an existing non-empty
 * --out is refused unless forced, and a failed import leaves nothing behind.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importJsonl } from '../../src/import/index.js';
// The writer itself is internal to src/import; its failure path is tested directly.
import { withRunDir } from '../../src/import/run-dir.js';
import { cleanup, tempDir } from './helpers.js';

const GOOD = '{"type":"step","group":"g","rollout":0,"t":1,"action":"a"}\n{"type":"outcome","group":"g","rollout":0,"outcome":{"kind":"coverage","value":[1],"target":[1]}}\n';

function setup(text = GOOD) {
  const root = tempDir();
  const file = join(root, 'in.jsonl');
  writeFileSync(file, text);
  return { root, file, out: join(root, 'out') };
}

afterAll(cleanup);

describe('import: the output directory', () => {
  it('refuses a non-empty --out and leaves it untouched', async () => {
    const { file, out } = setup();
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(importJsonl(file, { out })).rejects.toThrow(/--out .*out exists and is not empty \(pass --force to replace it\)/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('fills an existing empty directory', async () => {
    const { file, out } = setup();
    mkdirSync(out);
    await importJsonl(file, { out });
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'rollouts.jsonl', 'steps.jsonl']);
  });

  it('replaces an existing run directory with --force, leaving no temporary directory', async () => {
    const { root, file, out } = setup();
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), '{}');
    writeFileSync(join(out, 'old.txt'), 'old');
    await importJsonl(file, { out, force: true });
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'rollouts.jsonl', 'steps.jsonl']);
    expect(readdirSync(root).sort()).toEqual(['in.jsonl', 'out']);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('finished');
  });

  it('refuses an --out that is a file', async () => {
    const { root, file } = setup();
    writeFileSync(join(root, 'afile'), '');
    await expect(importJsonl(file, { out: join(root, 'afile') })).rejects.toThrow(/exists and is not a directory/);
  });

  it('leaves no directory at all when the input fails late (an error found in the last line)', async () => {
    const { root, file, out } = setup(GOOD + '{"type":"step","group":"g","rollout":1,"t":2,"action":"a"}\n');
    await expect(importJsonl(file, { out })).rejects.toThrow(/in\.jsonl:3: field "t": expected 1/);
    expect(readdirSync(root)).toEqual(['in.jsonl']);
  });

  it('keeps the old directory intact under --force when the input is bad', async () => {
    const { root, file, out } = setup('{"type":"step"}\n');
    mkdirSync(out);
    writeFileSync(join(out, 'old.txt'), 'old');
    await expect(importJsonl(file, { out, force: true })).rejects.toThrow(/in\.jsonl:1: step record: missing field "group"/);
    expect(readdirSync(out)).toEqual(['old.txt']);
    expect(readdirSync(root).sort()).toEqual(['in.jsonl', 'out']);
  });

  it('removes the half-written temporary directory when writing fails midway', async () => {
    const { root, out } = setup();
    await expect(
      withRunDir(out, false, async (dir) => {
        const steps = await dir.lines('steps.jsonl');
        await steps.write('{"rollout":"a:1:0:0","t":1,"action":1}');
        await steps.flush();
        expect(readdirSync(root).some((n) => n.startsWith('.out.importing-'))).toBe(true);
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(readdirSync(root)).toEqual(['in.jsonl']);
  });
});
