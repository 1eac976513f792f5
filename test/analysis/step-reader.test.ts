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
      // Every line the engine writes takes the fast path, a refused action's reason, `replayed`, `text`, `info` and `timing` included.
      expect(stats).toEqual({ fast: lines.length, general: 0, parsed: 0 });
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
    ['replayed after features', head + patches + ',"features":[1],"replayed":true}', 'fast'],
    ['replayed that is not true', head + patches + ',"features":[1],"replayed":false}', 'general'],
    ['a refused action\'s reason, text and info', head + patches + ',"measure":[1],"illegal":"peg \\"C\\" is empty","text":"a reply\\nwith \\\\ and }] in it","info":{"k":[1,{"s":"]"}]}}', 'fast'],
    ['an info that is not an object', head + patches + ',"measure":[1],"info":"x"}', 'general'],
    ['a reason before the patches (not the writers\' order)', head + ',"invalid":"no"' + patches + '}', 'general'],
    ['a key the fast path does not know', head + patches + ',"measure":[1],"note":"x"}', 'general'],
    ['blanks inside an array', head + patches + ',"measure":[ 1, 2 ]}', 'general'],
    ['an array of arrays', head + patches + ',"target":[1,[2]]}', 'general'],
    ['an id with an escape', '{"rollout":"a\\"b","t":1,"action":1}', 'general'],
    ['a string action with an escape', '{"rollout":"a","t":1,"action":"x\\ny","oracle":"\\u00e9"}', 'fast'],
    ['an object action', '{"rollout":"a","t":1,"action":{"b":[1,2],"a":"x"},"oracle":{"a":"x"},"patches":[]}', 'fast'],
    ['a trailing timing (an agent\'s wall-clock report)', head + patches + ',"measure":[1],"features":[2],"timing":{"ms":0.01}}', 'fast'],
    ['a timing with strings and brackets in it', head + ',"timing":{"requestId":"a}\\"]{","calls":[1,{"x":2}],"latencyMs":3}}', 'fast'],
    ['a timing with a timing inside', head + patches + ',"measure":[1],"timing":{"a":1,"timing":{"b":2}}}', 'fast'],
    ['an obs and a state with escaped quotes and backslashes', '{"rollout":"a:1:0:0","t":3,"action":7,"obs":"q\\\\\\"\\\\","state":"\\\\\\\\","reward":1,"patches":[{"value":"\\\\\\"]"}],"measure":[1]}', 'fast'],
    ['info before the timing', head + patches + ',"measure":[1],"info":{"k":1},"timing":{"ms":1}}', 'fast'],
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

  it('tells apart ids that differ from the previous line\'s in one byte, in length or by an escape', async () => {
    const ids = ['noisy:10:0:0', 'noisy:10:0:1', 'noisy:10:1:1', 'moisy:10:1:1', 'noisy:10:0:10', 'noisy:10:0:1', 'noisy:10:0:', 'abc', 'abcd', 'abce', 'abc', 'ünï:1', 'ünï:2', 'a\\"b', 'a\\"b', 'noisy:10:0:1'];
    const lines = ids.map((id, i) => `{"rollout":"${id}","t":${i + 1},"action":1,"measure":[${i}]}`);
    const { got } = await scan([...lines, lines[0]]);
    expect(gotPicks(got)).toEqual(parsedPicks([...lines, lines[0]]));
  });

  it('steps over an unread state with escapes as JSON.parse reads it', async () => {
    // kv-sum and every environment with features: the state is not read, only stepped over.
    const lines = ['"\\\\"', '"x\\"y"', '"\\\\\\"\\\\"', '"a\\\\\\\\"'].map((state) => `{"rollout":"a:1:0:0","t":1,"action":1,"obs":${state},"state":${state},"reward":0,"measure":[2]}`);
    const stats = { fast: 0, general: 0, parsed: 0 };
    const { got } = await scanFile([...lines, lines[0]], true, stats, { ...mode.reading, readState: false });
    const drop = ({ state: _, ...rest }: Record<string, unknown>) => rest;
    expect(got.map((g) => drop(pick(g.rec as Record<string, unknown>)))).toEqual([...lines, lines[0]].map((l) => drop(pick(JSON.parse(l)))));
    expect(stats.fast).toBe(lines.length + 1);
  });

  it('still refuses a corrupt line the fast path would otherwise reach', async () => {
    await expect(scan([head + ',"patches":[{"op":"replace"}' + ',"measure":[1]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1,]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1e]}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1],"timing":{"ms":[1}}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    // Torn where an object action's closing brace ends the line: the value takes the line's last byte.
    await expect(scan(['{"rollout":"a:1:0:0","t":1,"action":{"x":1}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    await expect(scan([head + patches + ',"measure":[1],"info":{"k":{}}', head + '}'])).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
  });
});

/** Number texts whose value must come out as JSON.parse's, bit for bit. */
function numberTexts(): string[] {
  const edge = [
    '0', '-0', '0.0', '-0.0', '0e5', '-0E-5', '1', '-1', '10', '1.5', '0.1', '0.2', '0.30000000000000004', '1e0', '1E+2', '1e-2', '2.5e-3',
    '123456789012345', '1234567890123456', '12345678901234567', '123456789012345678901234567890', '9007199254740991', '9007199254740992', '9007199254740993',
    '-9007199254740993', '0.1234567890123456789', '1.7976931348623157e308', '1.7976931348623159e308', '2e308', '5e-324', '2e-324', '3e-324', '1e-400',
    '4.9406564584124654e-324', '2.2250738585072014e-308', '2.2250738585072011e-308', '1e22', '1e23', '9.999999999999999e22', '123.456e20', '123.456e-20',
    '0.000001', '1e-7', '100000000000000000000', '1e21', '1.0000000000000002', '1.00000000000000011102230246251565404236316680908203125', '7.2057594037927933e16',
    '89255.0e-22', '8.9255e-18', '0.0000000000000000000000000000000000000001', '3.141592653589793', '2.718281828459045235360287', '-1.5e-10', '1e-22', '1e-23', '4503599627370496.5',
  ];
  // Deterministic random ones: every shape of integer part, fraction and exponent.
  let s = 12345;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const digits = (n: number, lead = false) => Array.from({ length: n }, (_, i) => String(i === 0 && lead ? 1 + rand(9) : rand(10))).join('');
  for (let i = 0; i < 3000; i++) {
    const int = rand(4) === 0 ? '0' : digits(1 + rand(19), true);
    const frac = rand(2) === 0 ? '' : '.' + digits(1 + rand(20));
    const exp = rand(3) === 0 ? '' : (rand(2) ? 'e' : 'E') + ['', '+', '-'][rand(3)] + String(rand(rand(4) === 0 ? 330 : 30));
    edge.push((rand(3) === 0 ? '-' : '') + int + frac + exp);
  }
  return edge;
}

for (const mode of MODES)
describe(`numbers read from the bytes (${mode.name})`, () => {
  const bits = (x: unknown) => (typeof x === 'number' ? (Object.is(x, -0) ? '-0' : String(x)) : JSON.stringify(x));
  it('equal JSON.parse bit for bit, in arrays, actions and on the general path', async () => {
    const texts = numberTexts();
    const lines: string[] = [];
    for (let i = 0; i < texts.length; i += 7) {
      const chunk = texts.slice(i, i + 7);
      lines.push(`{"rollout":"n:1:0:0","t":${i + 1},"action":${chunk[0]},"oracle":${chunk[1] ?? 1},"obs":"0","state":"1","reward":0,"patches":[],"measure":[${chunk.join(',')}],"target":[${chunk[0]}]}`);
      // Blanks: the general reader.
      lines.push(`{ "rollout": "n:1:0:0", "t": ${i + 1}, "action": ${chunk[0]}, "measure": [ ${chunk.join(' , ')} ] }`);
    }
    lines.push('{"rollout":"n:1:0:0","t":1,"action":0}');
    const stats = { fast: 0, general: 0, parsed: 0 };
    const { got } = await scanFile(lines, true, stats, mode.reading);
    expect(got).toHaveLength(lines.length);
    expect(stats.parsed).toBe(0);
    expect(stats.fast).toBeGreaterThanOrEqual(texts.length / 7);
    got.forEach((g, k) => {
      const want = JSON.parse(lines[k]) as Record<string, unknown>;
      const rec = g.rec as Record<string, unknown>;
      for (const f of ['action', 'oracle', 'measure', 'target'] as const) {
        const a = Array.isArray(want[f]) ? (want[f] as unknown[]).map(bits) : bits(want[f]);
        const b = Array.isArray(rec[f]) ? (rec[f] as unknown[]).map(bits) : bits(rec[f]);
        if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`line ${k + 1} ${f}: ${JSON.stringify(b)} instead of ${JSON.stringify(a)}`);
      }
    });
  });

  it('refuses what JSON does not call a number', async () => {
    const head = '{"rollout":"n:1:0:0","t":1,"action":1,"obs":"0","state":"1","reward":0,"patches":[],"measure":[';
    for (const bad of ['01', '-01', '1.', '.5', '-', '+1', '1e', '1e+', '--1', '0x10', 'Infinity', 'NaN', '1.2.3', '1e5e5', '-.5']) {
      await expect(scanFile([head + bad + ']}', '{"rollout":"n:1:0:0","t":2,"action":1}'], true, undefined, mode.reading), bad).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
      await expect(scanFile([`{"rollout":"n:1:0:0","t":1,"action":${bad}}`, '{"rollout":"n:1:0:0","t":2,"action":1}'], true, undefined, mode.reading), bad).rejects.toThrow(/steps\.jsonl:1: corrupt line/);
    }
  });
});
