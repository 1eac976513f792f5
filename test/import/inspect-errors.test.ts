/**
 * `hotmess import inspect` on broken logs, through the CLI in-process: each
 * fault is one line on stderr naming the file and the entry or sample, exit
 * 3, no stack trace, and nothing written at --out. The broken logs are real
 * ones with one thing changed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotmess, type CliResult } from '../helpers/cli.js';
import { cleanup, tempDir } from './helpers.js';
import { evalEntries, inspectLog, jsonLog, writeZip, HAVE_INSPECT, warnSkipped } from './inspect-fixtures.js';

warnSkipped('test/import/inspect-errors');

afterAll(cleanup);

type Entries = Array<[string, string]>;
const streaming = (): Entries => evalEntries(inspectLog('log_streaming.eval'));
const edit = (entries: Entries, name: string, f: (v: any) => unknown): Entries => entries.map(([n, t]): [string, string] => [n, n === name ? JSON.stringify(f(JSON.parse(t))) : t]);

/** Each case writes its broken log into `dir` and returns the file; `stderr` is the whole expected line. */
const CASES: Record<string, { make: (dir: string) => string; stderr: (file: string) => RegExp }> = {
  'unknown version (.eval)': {
    make: (dir) => {
      const f = join(dir, 'v7.eval');
      writeZip(f, edit(streaming(), 'header.json', (h) => ({ ...h, version: 7 })));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: header\\.json: unknown log format version 7 \\(this hotmess reads Inspect log versions 1, 2, 3\\)$`),
  },
  'unknown version (.json)': {
    make: (dir) => {
      const f = join(dir, 'v9.json');
      writeFileSync(f, JSON.stringify({ ...jsonLog('log_read_sample.json'), version: 9 }));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: unknown log format version 9 `),
  },
  'missing header': {
    make: (dir) => {
      const f = join(dir, 'nohead.eval');
      writeZip(f, streaming().filter(([n]) => n !== 'header.json'));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: no header\\.json entry \\(an unfinished or damaged \\.eval log\\?\\)$`),
  },
  'a sample without epoch': {
    make: (dir) => {
      const f = join(dir, 'noepoch.eval');
      writeZip(f, edit(streaming(), 'samples/1_epoch_2.json', ({ epoch, ...s }) => s));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples/1_epoch_2\\.json: missing field "epoch"$`),
  },
  'a sample without epoch (.json)': {
    make: (dir) => {
      const log = jsonLog('log_read_sample.json');
      delete log.samples[0].epoch;
      const f = join(dir, 'noepoch.json');
      writeFileSync(f, JSON.stringify(log));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples\\[0\\] \\(id 1\\): missing field "epoch"$`),
  },
  'an unreadable zip entry': {
    make: (dir) => {
      const f = join(dir, 'corrupt.eval');
      const good = join(dir, 'good.eval');
      writeZip(good, streaming());
      const bytes = readFileSync(good);
      // Overwrite the middle of the second entry's deflate data (the first sample).
      const name = Buffer.from('samples/2_epoch_2.json');
      const at = bytes.indexOf(name) + name.length + 40;
      bytes.fill(0xff, at, at + 60);
      writeFileSync(f, bytes);
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples/2_epoch_2\\.json: cannot decompress \\(invalid length/literal\\)$`),
  },
  'a zstd entry that is not zstd': {
    make: (dir) => {
      const f = join(dir, 'badzstd.eval');
      writeZip(f, streaming(), 'zstd');
      const bytes = readFileSync(f);
      const name = Buffer.from('samples/2_epoch_1.json');
      const at = bytes.indexOf(name) + name.length;
      bytes.fill(0, at, at + 8);
      writeFileSync(f, bytes);
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples/2_epoch_1\\.json: cannot decompress \\(zstd: `),
  },
  'not a zip': {
    make: (dir) => {
      const f = join(dir, 'text.eval');
      writeFileSync(f, 'hello');
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: not a zip archive \\(an \\.eval log is one\\)$`),
  },
  'a .json cut short': {
    make: (dir) => {
      const f = join(dir, 'cut.json');
      const text = readFileSync(inspectLog('log_read_sample.json'), 'utf8');
      writeFileSync(f, text.slice(0, 9000));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: not a valid EvalLog document: unexpected end of file \\(at character \\d+, inside samples\\[0\\]\\); the log is cut short$`),
  },
  'a message that is not a chat message': {
    make: (dir) => {
      const log = jsonLog('log_read_sample.json');
      log.samples[0].messages[1].role = 'robot';
      const f = join(dir, 'robot.json');
      writeFileSync(f, JSON.stringify(log));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples\\[0\\] \\(id 1, epoch 1\\): messages\\[1\\]: not a chat message \\(role "robot"\\)$`),
  },
  'the same sample and epoch twice': {
    make: (dir) => {
      const log = jsonLog('log_read_sample.json');
      log.samples.push(log.samples[0]);
      const f = join(dir, 'twice.json');
      writeFileSync(f, JSON.stringify(log));
      return f;
    },
    stderr: (f) => new RegExp(`^hotmess: ${f}: samples\\[1\\] \\(id 1, epoch 1\\): sample 1 epoch 1 appears twice \\(also ${f}: samples\\[0\\] \\(id 1, epoch 1\\)\\)$`),
  },
};

describe.skipIf(!HAVE_INSPECT)('hotmess import inspect: broken logs', () => {
  const root = tempDir();
  const results = new Map<string, { file: string; out: string; r: CliResult }>();

  beforeAll(async () => {
    for (const [name, c] of Object.entries(CASES)) {
      const dir = join(root, name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      const file = c.make(dir);
      const out = join(dir, 'out');
      results.set(name, { file, out, r: await hotmess('import', 'inspect', file, '--out', out) });
    }
  }, 60_000);

  it.each(Object.keys(CASES))('%s: one line naming file and entry, exit 3, nothing written', (name) => {
    const { file, out, r } = results.get(name)!;
    expect(r.stderr.trimEnd()).toMatch(CASES[name].stderr(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(3);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(out, '..')).filter((n) => n.startsWith('.out'))).toEqual([]);
  });

  it('--force over a run that another process holds is refused in one line, the run untouched', async () => {
    const out = join(root, 'held');
    expect((await hotmess('import', 'inspect', inspectLog('log_streaming.eval'), '--out', out)).status).toBe(0);
    const before = readFileSync(join(out, 'rollouts.jsonl'), 'utf8');
    // A real second process holds the run's lock, as a running `hotmess run --resume` would.
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(out, '.lock'), JSON.stringify({ pid: holder.pid, host: hostname(), command: 'hotmess run --resume', since: new Date().toISOString() }));
      const r = await hotmess('import', 'inspect', inspectLog('log_read_sample.json'), '--out', out, '--force');
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/hotmess run --resume/);
      expect(readFileSync(join(out, 'rollouts.jsonl'), 'utf8')).toBe(before);
    } finally {
      process.kill(holder.pid!, 'SIGKILL');
    }
  });

  it('a good log through the CLI: summary, then --json', async () => {
    const out = join(root, 'good');
    const r = await hotmess('import', 'inspect', inspectLog('log_streaming.eval'), '--out', out, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rollouts: 4, groups: 2, steps: 4, lossless: false, files: 1 });
    const again = await hotmess('import', 'inspect', inspectLog('log_streaming.eval'), '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists and is not empty \(pass --force to replace it\)/);
  });
});
