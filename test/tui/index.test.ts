/**
 * The replay index: byte ranges per rollout that read back exactly that
 * rollout's lines, a cache used only while the logs are unchanged, and
 * groups loaded by offset that match the file.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanSteps, stepFields } from '../../src/log/index.js';
import { INDEX_FILE, openIndex, ReplayModel } from '../../src/tui/index.js';
import { canonicalJson } from '../../src/core/index.js';
import { tempDir } from '../helpers/run-dir.js';
import { groupSequences, makeMazeRun, readLines } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await makeMazeRun();
});

/** The text of every range of a rollout, read by byte offset. */
function rangeText(file: string, ranges: readonly number[]): string[] {
  const buf = readFileSync(file);
  const out: string[] = [];
  for (let i = 0; i < ranges.length; i += 3) out.push(...buf.subarray(ranges[i], ranges[i + 1]).toString('utf8').split('\n').filter((l) => l.length > 0));
  return out;
}

describe('scanSteps', () => {
  it('records, per rollout, ranges holding exactly its lines in file order', async () => {
    const file = join(dir, 'steps.jsonl');
    const scan = await scanSteps(file);
    const lines = readLines(file);
    expect(scan.lines).toBe(lines.length);
    const byId = new Map<string, string[]>();
    for (const l of lines) {
      const id = (JSON.parse(l) as { rollout: string }).rollout;
      byId.set(id, [...(byId.get(id) ?? []), l]);
    }
    expect([...scan.ranges.keys()].sort()).toEqual([...byId.keys()].sort());
    for (const [id, ranges] of scan.ranges) {
      expect(rangeText(file, ranges)).toEqual(byId.get(id));
      // The engine writes a rollout's steps together: one range each.
      expect(ranges.length).toBe(3);
    }
  });

  it('keeps interleaved rollouts apart, parses lines of other writers, and skips a torn last line', async () => {
    const d = tempDir();
    const file = join(d, 'steps.jsonl');
    const a = (t: number) => `{"rollout":"a:1:0:0","t":${t},"action":1}`;
    const b = (t: number) => `{"t":${t},"rollout":"b:1:0:0","action":2}`;
    const q = (t: number) => `{"rollout":"q\\"x:1:0:0","t":${t},"action":3}`;
    writeFileSync(file, [a(1), a(2), b(1), q(1), a(3), b(2)].join('\n') + '\n' + '{"rollout":"a:1:0:0","t":4,"act');
    const scan = await scanSteps(file);
    expect(scan.tornLines).toBe(1);
    expect(scan.lines).toBe(7);
    expect(rangeText(file, scan.ranges.get('a:1:0:0')!)).toEqual([a(1), a(2), a(3)]);
    expect(scan.ranges.get('a:1:0:0')!.length).toBe(6);
    expect(rangeText(file, scan.ranges.get('b:1:0:0')!)).toEqual([b(1), b(2)]);
    expect(rangeText(file, scan.ranges.get('q"x:1:0:0')!)).toEqual([q(1)]);
  });

  it('names the file and line of a corrupt line', async () => {
    const d = tempDir();
    const file = join(d, 'steps.jsonl');
    writeFileSync(file, '{"rollout":"a","t":1,"action":1}\nnot json\n{"rollout":"a","t":2,"action":1}\n');
    await expect(scanSteps(file)).rejects.toThrow(`${file}:2: corrupt line`);
  });
});

describe('openIndex', () => {
  it('is cached in the run directory and rebuilt when a log changes', async () => {
    const d = join(tempDir(), 'copy');
    mkdirSync(d);
    for (const f of ['manifest.json', 'rollouts.jsonl', 'steps.jsonl']) writeFileSync(join(d, f), readFileSync(join(dir, f)));
    const first = await openIndex(d);
    expect(first.fromCache).toBe(false);
    expect(existsSync(join(d, INDEX_FILE))).toBe(true);
    const second = await openIndex(d);
    expect(second.fromCache).toBe(true);
    expect(second.index).toEqual(first.index);
    // A line of an uncommitted rollout: the size changes, so the index is rebuilt and counts it as an orphan.
    appendFileSync(join(d, 'steps.jsonl'), '{"rollout":"ghost:6:0:0","t":1,"action":"N"}\n');
    const third = await openIndex(d);
    expect(third.fromCache).toBe(false);
    expect(third.index.orphanLines).toBe(1);
    // Same size, new mtime: rebuilt too.
    utimesSync(join(d, 'rollouts.jsonl'), new Date(), new Date(Date.now() + 5000));
    expect((await openIndex(d)).fromCache).toBe(false);
    // A damaged cache is rebuilt, not an error.
    writeFileSync(join(d, INDEX_FILE), '{"version":');
    expect((await openIndex(d)).fromCache).toBe(false);
  });

  it('indexes every committed rollout with its outcome', async () => {
    const { index } = await openIndex(dir, { cache: false });
    const rollouts = readLines(join(dir, 'rollouts.jsonl')).map((l) => JSON.parse(l) as { rollout: string; length: number; outcome: { success: boolean } });
    expect(index.rollouts.map((r) => r.id).sort()).toEqual(rollouts.map((r) => r.rollout).sort());
    for (const r of rollouts) {
      const x = index.rollouts.find((i) => i.id === r.rollout)!;
      expect(x.steps).toBe(r.length);
      expect(x.success).toBe(r.outcome.success);
    }
  });
});

describe('ReplayModel', () => {
  it('groups like the analysis and loads a group by offset with the logged actions', async () => {
    const model = await ReplayModel.open(dir);
    expect(model.groups.map((g) => g.key)).toEqual(['oracle:6:0', 'oracle:6:1', 'noisy:6:0', 'noisy:6:1']);
    expect(model.cells.map((c) => `${c.agent}:${c.horizon}`)).toEqual(['oracle:6', 'noisy:6']);
    for (const ref of model.groups) {
      const g = await model.group(ref.key);
      const seqs = groupSequences(dir, ref.key);
      expect(g.lanes.map((l) => Array.from(l.actions.subarray(0, l.len), (id) => g.keys[id]))).toEqual(seqs);
      // Each step's line re-read by offset is that step.
      for (const lane of g.lanes)
        for (let t = 1; t <= lane.len; t++) {
          const rec = model.readStep(lane, t)!;
          expect([rec.rollout, rec.t]).toEqual([lane.rollout.id, t]);
        }
    }
  });

  it('re-derives the observation an agent saw: its hash is the logged one', async () => {
    const { REGISTRY } = await import('../../src/cli/registry.js');
    const model = await ReplayModel.open(dir, { resolveEnvironment: (n) => (REGISTRY.environments as Record<string, never>)[n] });
    const g = await model.group('noisy:6:0');
    let checked = 0;
    for (const lane of g.lanes)
      for (let t = 1; t <= lane.len; t++) {
        const v = (await model.stepView(g, lane, t))!;
        expect(v.observation.text).not.toBeNull();
        expect('hashMatches' in v.observation && v.observation.hashMatches).toBe(true);
        checked++;
      }
    expect(checked).toBeGreaterThan(20);
    // Without the environment, the pane says why there is no observation.
    const bare = await ReplayModel.open(dir);
    const v = (await bare.stepView(await bare.group('noisy:6:0'), g.lanes[0], 1))!;
    expect(v.observation).toEqual({ text: null, note: expect.stringContaining('"maze" is not registered') });
  });
});

describe('stepFields', () => {
  /** What JSON.parse says about the same line, in stepFields' terms. */
  const parsed = (line: string) => {
    const r = JSON.parse(line) as { t: number; action: unknown; oracle?: unknown; illegal?: string; invalid?: string; replayed?: boolean };
    return { t: r.t, action: canonicalJson(r.action), oracle: r.oracle === undefined ? null : canonicalJson(r.oracle), illegal: r.illegal !== undefined, invalid: r.invalid !== undefined, replayed: r.replayed === true };
  };
  const canonical = (f: ReturnType<typeof stepFields>) => f && { ...f, action: canonicalJson(JSON.parse(f.action)), oracle: f.oracle === null ? null : canonicalJson(JSON.parse(f.oracle)) };

  it('agrees with JSON.parse on every line the engine wrote', () => {
    const lines = readLines(join(dir, 'steps.jsonl'));
    let fast = 0;
    for (const l of lines) {
      const f = stepFields(l);
      if (f) fast++;
      expect(canonical(f) ?? parsed(l)).toEqual(parsed(l));
    }
    // Refused (illegal) steps go to the parser; the rest take the fast path.
    expect(fast).toBeGreaterThan(lines.length / 2);
  });

  it('cuts nested and escaped values exactly, and declines lines it cannot read safely', () => {
    const nested = '{"rollout":"a:1:0:0","t":12,"action":{"args":{"q":"a \\"b\\" {c}]","n":[1,{"x":2}]},"tool":"s"},"oracle":"N","obs":"h"}';
    expect(canonical(stepFields(nested))).toEqual(parsed(nested));
    expect(stepFields(nested)!.action).toBe('{"args":{"q":"a \\"b\\" {c}]","n":[1,{"x":2}]},"tool":"s"}');
    expect(stepFields('{"rollout":"a","t":3,"action":-4.5}')).toEqual({ t: 3, action: '-4.5', oracle: null, illegal: false, invalid: false, replayed: false });
    // Other field orders, refusals and replayed prefixes are left to JSON.parse.
    expect(stepFields('{"t":1,"rollout":"a","action":1}')).toBeNull();
    expect(stepFields('{"rollout":"a","t":1,"action":"N","illegal":"wall"}')).toBeNull();
    expect(stepFields('{"rollout":"a","t":1,"action":"N","replayed":true}')).toBeNull();
  });
});
