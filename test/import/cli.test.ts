/**
 * `hotmess import` through the real CLI in a child process: malformed input
 * of each class gives one line on stderr naming the record and field, a
 * non-zero exit and no stack trace; a good file imports and says where.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_TAU, TAU_FILE, cleanup, readRun, runCli, tempDir, type CliResult } from './helpers.js';

const step = '{"type":"step","group":"g","rollout":0,"t":1,"action":"a"}';
const outcome = '{"type":"outcome","group":"g","rollout":0,"outcome":{"kind":"coverage","value":[1],"target":[1]}}';
const tauRecord = (o: object) => ({ task_id: 4, trial: 0, reward: 1, traj: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], ...o });

/** Each case: an input file (written in beforeAll), its format, the expected exit code and stderr line. */
const CASES: Record<string, { file: string; text: string; format: 'jsonl' | 'tau-bench'; exit: number; stderr: RegExp }> = {
  'jsonl not JSON': { file: 'a.jsonl', format: 'jsonl', text: `${step}\n{"type":"step",\n${outcome}\n`, exit: 3, stderr: /a\.jsonl:2: not valid JSON: .+/ },
  'jsonl missing field': { file: 'b.jsonl', format: 'jsonl', text: `{"type":"step","group":"g","rollout":0,"t":1}\n`, exit: 3, stderr: /b\.jsonl:1: step record: missing field "action"/ },
  'jsonl non-integer step': { file: 'c.jsonl', format: 'jsonl', text: `${step.replace('"t":1', '"t":1.5')}\n`, exit: 3, stderr: /c\.jsonl:1: step record: field "t": expected an integer, got 1\.5/ },
  'tau-bench not JSON': { file: 'd.json', format: 'tau-bench', text: '[{"task_id": 1,\n  "trial": }]', exit: 3, stderr: /d\.json: not valid JSON: .+\(line 2, column \d+\)/ },
  'tau-bench missing field': {
    file: 'e.json',
    format: 'tau-bench',
    text: JSON.stringify([tauRecord({}), tauRecord({ trial: 1, reward: undefined })]),
    exit: 3,
    stderr: /e\.json: record \[1\] \(task_id 4, trial 1\): missing field "reward"/,
  },
  'tau-bench non-integer trial': {
    file: 'f.json',
    format: 'tau-bench',
    text: JSON.stringify([tauRecord({ trial: 2.5 })]),
    exit: 3,
    stderr: /f\.json: record \[0\] \(task_id 4, trial 2\.5\): field "trial": expected an integer, got 2\.5/,
  },
};

afterAll(cleanup);

describe('hotmess import (CLI): malformed input', () => {
  const results = new Map<string, CliResult>();
  let root: string;

  beforeAll(async () => {
    root = tempDir();
    await Promise.all(
      Object.entries(CASES).map(async ([name, c]) => {
        const file = join(root, c.file);
        writeFileSync(file, c.text);
        const domain = c.format === 'tau-bench' ? ['--domain', 'airline'] : [];
        results.set(name, await runCli(['import', c.format, file, '--out', join(root, `out-${c.file}`), ...domain]));
      }),
    );
  }, 120_000);

  it.each(Object.keys(CASES))('%s: one line on stderr naming the record, non-zero exit, no stack trace, no output directory', (name) => {
    const c = CASES[name];
    const r = results.get(name)!;
    expect(r.status).toBe(c.exit);
    expect(r.stderr.endsWith('\n')).toBe(true);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hotmess: /);
    expect(lines[0]).toMatch(c.stderr);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+\)?$|Error:|internal error/m);
    expect(r.stdout).toBe('');
    expect(existsSync(join(root, `out-${c.file}`))).toBe(false);
  });
});

describe('hotmess import (CLI): good input', () => {
  it('imports JSONL, refuses to overwrite without --force, replaces with it', async () => {
    const root = tempDir();
    const file = join(root, 'runs.jsonl');
    writeFileSync(file, `${step}\n${outcome}\n`);
    const out = join(root, 'out');
    const first = await runCli(['import', 'jsonl', file, '--out', out, '--agent', 'me']);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toContain(`imported 1 rollout in 1 group (1 step) of me on imported, horizon 1: 1 terminated\nwrote ${out}\n`);
    expect(readRun(out).rollouts[0].rollout).toBe('me:1:g:0');

    const again = await runCli(['import', 'jsonl', file, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`hotmess: --out ${out} exists and is not empty (pass --force to replace it)\n`);

    const forced = await runCli(['import', 'jsonl', file, '--out', out, '--force', '--json']);
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ out, agents: ['runs'], rollouts: 1, steps: 1, horizon: 1 });
  }, 60_000);

  it('documents both importers in --help', async () => {
    const [tau, jsonl] = await Promise.all([runCli(['import', 'tau-bench', '--help']), runCli(['import', 'jsonl', '--help'])]);
    expect(tau.status).toBe(0);
    for (const flag of ['--out <dir>', '--agent <name>', '--domain <name>', '--horizon <n>', '--force', '--json']) expect(tau.stdout).toContain(flag);
    expect(jsonl.status).toBe(0);
    expect(jsonl.stdout).toContain('docs/import.md');
    expect(jsonl.stdout).not.toContain('--domain');
  }, 60_000);

  it.skipIf(!HAVE_TAU)('imports the shipped τ-bench file', async () => {
    const out = join(tempDir(), 'tau');
    const r = await runCli(['import', 'tau-bench', TAU_FILE, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('imported 200 rollouts in 50 groups (2454 steps) of gpt-4o on tau-bench-airline, horizon 30: 195 terminated, 5 truncated');
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('finished');
  }, 60_000);
});

describe('hotmess import (CLI): a file that cannot be read', () => {
  it('is one line naming the file and its errno, for every importer', async () => {
    const root = tempDir();
    const cases: [string[], string][] = [
      [['jsonl', root], `cannot read ${root}: EISDIR`],
      [['tau-bench', join(root, 'none.json'), '--domain', 'airline'], `cannot read ${join(root, 'none.json')}: ENOENT`],
      [['inspect', join(root, 'none.eval')], `cannot read ${join(root, 'none.eval')}: ENOENT`],
    ];
    for (const [args, line] of cases) {
      const r = await runCli(['import', ...args, '--out', join(root, 'out')]);
      expect([r.status, r.stderr], args.join(' ')).toEqual([3, `hotmess: ${line}\n`]);
    }
  });
});
