import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStepLines, type StepReadOptions } from '../../src/analysis/step-reader.js';
import { stateNumber } from '../../src/analysis/step-store.js';

const FIELDS = ['rollout', 't', 'action', 'oracle', 'state', 'measure', 'target', 'features', 'replayed'] as const;

/**
 * The fields the analysis reads. A record read by a thread carries the state
 * as `stateNumber`: states are compared as the number the store keeps.
 */
function pick(o: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const k of FIELDS) if (k in o) out[k] = o[k];
  // As the store keeps it: NaN for an absent or unusable state.
  const state = 'stateNumber' in o ? (o.stateNumber as number) : stateNumber(o.state);
  out.state = Number.isNaN(state) ? 'none' : state;
  return out;
}

/**
 * How the file is read: on this thread alone, or with a reader thread and
 * ranges of a few hundred bytes, so that nearly every line is a range's
 * first or last, and with ranges read here as well as by the thread.
 */
const MODES: { name: string; reading: StepReadOptions }[] = [
  { name: 'one thread', reading: { threads: 0 } },
  { name: 'reader threads', reading: { threads: 1, segmentBytes: 300, awaitThreads: true } },
];

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function scanFile(lines: string[], trailingNewline: boolean, stats: { fast: number; general: number; parsed: number } | undefined, reading: StepReadOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-steps-'));
  dirs.push(dir);
  const file = join(dir, 'steps.jsonl');
  writeFileSync(file, lines.join('\n') + (trailingNewline ? '\n' : ''));
  const got: { rec: unknown; line: number }[] = [];
  const torn: number[] = [];
  // The reader reuses its record: copy it, dropping absent (undefined) fields.
  const copy = (rec: object) => structuredClone(Object.fromEntries(Object.entries(rec).filter(([, v]) => v !== undefined)));
  const threadStats = { ranges: 0, lines: 0 };
  await readStepLines(file, (rec, line) => got.push({ rec: copy(rec), line }), (line) => torn.push(line), { ...reading, stats, threadStats });
  return { got, torn, file, threadStats };
}

const LINES = [
  '{"rollout":"a:10:0:0","t":1,"action":"N","oracle":"N","obs":"00ab","state":"001122334455ff","reward":0,"patches":[{"op":"replace","path":["x"],"value":1}],"measure":[1,2],"target":[1,-2],"features":[0.5,1e-3],"timing":{"ms":0.1}}',
  '{"rollout":"a:10:0:0","t":2,"action":{"b":[1,2],"a":"x"},"oracle":{"a":"x","b":[1,2]},"state":"s\\"q","measure":3.25,"target":-0,"info":{"text":"a \\"quoted\\" }] brace","t":99},"replayed":true}',
  '  { "t" : 3 , "rollout" : "ünïcødé:1:0:0" , "action" : 12345678901234567 , "oracle" : -17 , "measure" : [ 1.5e3 , -2E-2 ] }  ',
  '{"rollout":"r:1:0:0","t":4,"action":"line\\nbreak","oracle":"\\u00e9","features":[],"target":[1,[2]],"measure":[null]}',
  '{"rollout":"r:1:0:0","t":5,"action":null,"oracle":true,"state":"x","mea\\u0073ure":[9]}',
  '{"rollout":"r:1:0:0","t":6,"action":[],"oracle":{},"t":7}',
  '',
  '{"rollout":"r:1:0:0","t":8,"action":0.1,"oracle":0.30000000000000004,"measure":[123456789012345678901234567890,5e-324]}',
];

for (const mode of MODES)
describe(`the step-line scanner (${mode.name})`, () => {
  const scan = (lines: string[], trailingNewline = true, stats?: { fast: number; general: number; parsed: number }, reading: StepReadOptions = mode.reading) => scanFile(lines, trailingNewline, stats, reading);
  it('returns exactly the fields JSON.parse gives, skipping blank lines', async () => {
    const { got, torn } = await scan(LINES);
    expect(torn).toEqual([]);
    const expected = LINES.map((l, i) => ({ l, i })).filter(({ l }) => l.trim() !== '').map(({ l, i }) => ({ rec: pick(JSON.parse(l)), line: i + 1 }));
    expect(got.map((g) => ({ rec: pick(g.rec as Record<string, unknown>), line: g.line }))).toEqual(expected);
  });

  it('skips a torn last line and reports its number', async () => {
    const { got, torn } = await scan([LINES[0], '{"rollout":"a:10:0:0","t":2,"act'], false);
    expect(got).toHaveLength(1);
    expect(torn).toEqual([2]);
  });

  it('accepts a complete last line without a newline', async () => {
    const { got, torn } = await scan([LINES[0], LINES[1]], false);
    expect(got).toHaveLength(2);
    expect(torn).toEqual([]);
  });

  it('names the file and line of a corrupt line', async () => {
    await expect(scan([LINES[0], '{"rollout":"a",t:1}', LINES[1]])).rejects.toThrow(/steps\.jsonl:2: corrupt line/);
    await expect(scan([LINES[0], '{"rollout":"a","t":1,"action":nope}', LINES[1]])).rejects.toThrow(/steps\.jsonl:2: corrupt line/);
    await expect(scan([LINES[0], '{"rollout":"a","t":1} trailing', LINES[1]])).rejects.toThrow(/steps\.jsonl:2: corrupt line/);
  });

  it('handles lines that straddle read chunks and lines longer than a chunk', async () => {
    const long = JSON.stringify({ rollout: 'x:1:0:0', t: 1, action: 'N', patches: ['y'.repeat(5 << 20)] });
    // ~7 MB of short lines: several 4 MB read chunks, so lines straddle chunk ends.
    const many = Array.from({ length: 120000 }, (_, i) => JSON.stringify({ rollout: `x:1:0:${i % 7}`, t: i + 1, action: i % 4, measure: [i, -i] }));
    // Ranges of 1 MB with threads: the long line spans several, the short lines many.
    const { got, threadStats } = await scan([...many, long, ...many.slice(0, 10)], true, undefined, mode.reading.threads ? { ...mode.reading, segmentBytes: 1 << 20 } : mode.reading);
    if (mode.reading.threads) expect(threadStats.ranges).toBeGreaterThan(0);
    expect(got).toHaveLength(120011);
    got.slice(0, 120000).forEach((g, i) => {
      if ((g.rec as { t: number }).t !== i + 1) throw new Error(`line ${i + 1} read as t=${(g.rec as { t: number }).t}`);
    });
    expect(pick(got[119999].rec as Record<string, unknown>)).toEqual(pick({ rollout: `x:1:0:${119999 % 7}`, t: 120000, action: 119999 % 4, measure: [119999, -119999] }));
    expect(pick(got[120000].rec as Record<string, unknown>)).toEqual(pick({ rollout: 'x:1:0:0', t: 1, action: 'N' }));
    expect(got[120010].line).toBe(120011);
  });
});

/** Every line as JSON.parse reads it, restricted to the fields the analysis reads. */
const parsedPicks = (lines: readonly string[]) => lines.map((l, i) => ({ rec: pick(JSON.parse(l)), line: i + 1 }));
const gotPicks = (got: { rec: unknown; line: number }[]) => got.map((g) => ({ rec: pick(g.rec as Record<string, unknown>), line: g.line }));

for (const mode of MODES)
describe(`the writers' layout read fast (${mode.name})`, () => {
  const scan = (lines: string[], trailingNewline = true, stats?: { fast: number; general: number; parsed: number }) => scanFile(lines, trailingNewline, stats, mode.reading);
  const golden = join(import.meta.dirname, '..', 'golden');
  for (const env of readdirSync(golden)) {
    it(`reads every golden ${env} line as JSON.parse does, and by the fast path`, async () => {
      const lines = readFileSync(join(golden, env, 'steps.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
      const stats = { fast: 0, general: 0, parsed: 0 };
      const { got, threadStats } = await scan(lines, true, stats);
      expect(gotPicks(got)).toEqual(parsedPicks(lines));
      // With threads, some ranges were read by the thread, the others here.
      if (mode.reading.threads) expect([threadStats.lines > 0, threadStats.lines < lines.length]).toEqual([true, true]);
      // Only lines with a field after the trailing arrays (a refused action's reason, info) take the general reader; a lone trailing timing does not.
      const later = lines.filter((l) => /"(?:illegal|invalid|replayed|text|info)":/.test(l)).length;
      expect(stats).toEqual({ fast: lines.length - later, general: later, parsed: 0 });
      expect(stats.fast).toBeGreaterThan(lines.length / 2);
    });
  }

  const head = '{"rollout":"a:1:0:0","t":3,"action":7,"oracle":-7,"obs":"00112233445566","state":"0a0b0c0d0e0f00","reward":1';
  const patches = ',"patches":[{"op":"replace","path":["x"],"value":{"measure":[1],"s":"]}\\"[{"}}]';
  const cases: [string, string, 'fast' | 'general' | 'parsed'][] = [
    ['every trailing array', head + patches + ',"measure":[-1.5e3,2E-2,0],"target":[1,-0.25,3],"features":[123456789012345678901,5e-324,-0]}', 'fast'],
    ['no patches', head + ',"measure":[1],"target":[2]}', 'fast'],
    ['only features', head + patches + ',"features":[]}', 'fast'],
    ['nothing after the reward', head + '}', 'fast'],
    ['features before measure (not the writers\' order)', head + patches + ',"features":[1],"measure":[2]}', 'general'],
    ['a repeated key', head + patches + ',"measure":[1],"measure":[2]}', 'general'],
    ['a measure that is a number', head + patches + ',"measure":3.25,"target":3}', 'general'],
    ['a key after features', head + patches + ',"features":[1],"replayed":true}', 'general'],
    ['blanks inside an array', head + patches + ',"measure":[ 1, 2 ]}', 'general'],
    ['an array of arrays', head + patches + ',"target":[1,[2]]}', 'general'],
    ['an id with an escape', '{"rollout":"a\\"b","t":1,"action":1}', 'general'],
    ['a string action with an escape', '{"rollout":"a","t":1,"action":"x\\ny","oracle":"\\u00e9"}', 'fast'],
    ['an object action', '{"rollout":"a","t":1,"action":{"b":[1,2],"a":"x"},"oracle":{"a":"x"},"patches":[]}', 'fast'],
    ['a trailing timing (an agent\'s wall-clock report)', head + patches + ',"measure":[1],"features":[2],"timing":{"ms":0.01}}', 'fast'],
    ['a timing with strings and brackets in it', head + ',"timing":{"requestId":"a}\\"]{","calls":[1,{"x":2}],"latencyMs":3}}', 'fast'],
    ['a timing with a timing inside', head + patches + ',"measure":[1],"timing":{"a":1,"timing":{"b":2}}}', 'fast'],
    ['info before the timing', head + patches + ',"measure":[1],"info":{"k":1},"timing":{"ms":1}}', 'general'],
    ['a timing before features', head + patches + ',"timing":{"ms":1},"features":[1]}', 'general'],
  ];
  for (const [name, line, path] of cases) {
    it(`${name}: the same fields as JSON.parse (${path})`, async () => {
      const stats = { fast: 0, general: 0, parsed: 0 };
      // A second line: the last line of a file always goes to the full reader (it may be torn).
      const { got } = await scan([line, line], true, stats);
      expect(gotPicks(got)).toEqual(parsedPicks([line, line]));
      expect(stats[path]).toBe(2);
    });
  }

  it('still refuses a corrupt line the fast path would otherwise reach', async () => {
    await expect(scan([head + ',"patches":[{"op":"replace"}' + ',"measure":[1]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1,]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1e]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1],"timing":{"ms":[1}}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
  });
});
