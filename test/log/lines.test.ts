/**
 * The one line splitter and the readers on it, checked against an
 * independent split (String.split on the decoded file) with buffers small
 * enough that every line crosses a chunk boundary and some outgrow it.
 */
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachLine, forEachLineSync, forEachRollout, readManifest, StepRecordSchema, STEP_FIELD_ORDER, type LineVisitor } from '../../src/log/index.js';
import { makeMazeRun } from '../tui/helpers.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

const TEXT = ['{"a":1}', '', 'ünïcödé → ✓ spans bytes', 'x'.repeat(50), '{"b":[1,2,3]}', 'tail without newline'].join('\n');

/** What a splitter must report: each line's text, number, byte offset and whether it is the unterminated last one. */
function expected(text: string) {
  const parts = text.split('\n');
  const out: [string, number, number, boolean][] = [];
  let offset = 0;
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (!(last && p.length === 0)) out.push([p, i + 1, offset, last]);
    offset += Buffer.byteLength(p) + 1;
  });
  return out;
}

const collect = (into: [string, number, number, boolean][]): LineVisitor => (buf, s, e, line, offset, last) => void into.push([buf.toString('utf8', s, e), line, offset, last]);

describe('forEachLine', () => {
  const file = join(tempDir(), 'lines.txt');
  writeFileSync(file, TEXT);

  it('gives every line with its number, byte offset and the torn-last flag, whatever the chunk size', async () => {
    for (const chunk of [1, 3, 7, 16, 1 << 20]) {
      const got: [string, number, number, boolean][] = [];
      expect(await forEachLine(file, collect(got), { chunk })).toBe(6);
      expect(got).toEqual(expected(TEXT));
      const sync: [string, number, number, boolean][] = [];
      forEachLineSync(file, collect(sync), { chunk });
      expect(sync).toEqual(got);
    }
    const closed = join(tempDir(), 'closed.txt');
    writeFileSync(closed, 'a\nb\n');
    const got: [string, number, number, boolean][] = [];
    await forEachLine(closed, collect(got));
    expect(got).toEqual([['a', 1, 0, false], ['b', 2, 2, false]]);
  });

  it('reads the next chunk ahead into a second buffer without disturbing the split: lines of every length against chunk boundaries', async () => {
    // Lengths 0..40 in an order that puts line ends at every offset of small chunks, some lines longer than the chunk.
    const text = Array.from({ length: 400 }, (_, i) => String.fromCharCode(97 + (i % 26)).repeat((i * 7) % 41)).join('\n') + '\n';
    const many = join(tempDir(), 'many.txt');
    writeFileSync(many, text);
    for (const chunk of [2, 5, 8, 13, 40, 41, 64, 1 << 20]) {
      const got: [string, number, number, boolean][] = [];
      expect(await forEachLine(many, collect(got), { chunk })).toBe(400);
      expect(got).toEqual(expected(text));
    }
  });

  it('a visitor that throws mid-file: the error comes out and a handed-in handle is left readable', async () => {
    const fh = await open(file, 'r');
    try {
      let seen = 0;
      const stop = () => {
        if (++seen === 2) throw new Error('visitor stops');
      };
      await expect(forEachLine(fh, stop, { chunk: 3 })).rejects.toThrow('visitor stops');
      const got: [string, number, number, boolean][] = [];
      expect(await forEachLine(fh, collect(got), { chunk: 3 })).toBe(6);
      expect(got).toEqual(expected(TEXT));
    } finally {
      await fh.close();
    }
  });

  it('reads a byte range of an open file, and names a file shorter than the range', async () => {
    const lines = expected(TEXT);
    const [, , from] = lines[2];
    const [, , to] = lines[4];
    const fh = await open(file, 'r');
    try {
      const got: [string, number, number, boolean][] = [];
      await forEachLine(fh, collect(got), { start: from, end: to, chunk: 5 });
      expect(got.map(([t, , o]) => [t, o])).toEqual(lines.slice(2, 4).map(([t, , o]) => [t, o]));
      await expect(forEachLine(fh, () => {}, { start: from, end: 10_000, short: (at) => `short at ${at}` })).rejects.toThrow(`short at ${Buffer.byteLength(TEXT)}`);
    } finally {
      await fh.close();
    }
    await expect(forEachLine(join(tempDir(), 'none.jsonl'), () => {})).rejects.toThrow(/none\.jsonl: file not found$/);
  });
});

describe('the run-directory records', () => {
  it('every step line the engine writes passes the step schema, with its fields in STEP_FIELD_ORDER', async () => {
    const dir = await makeMazeRun({ rollouts: 3, seed: 5 });
    const text = readJsonlFile<Record<string, unknown>>(join(dir, 'steps.jsonl'));
    expect(text.length).toBeGreaterThan(10);
    for (const rec of text) {
      expect(StepRecordSchema.safeParse(rec).success).toBe(true);
      const order = Object.keys(rec).map((k) => STEP_FIELD_ORDER.indexOf(k as (typeof STEP_FIELD_ORDER)[number]));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    }
    expect(readManifest(dir).fork).toBeUndefined();
  });

  it('forEachRollout: records in order, a torn last line to onTorn, a bad field named by file, line and path', async () => {
    const dir = await makeMazeRun({ rollouts: 2, seed: 6 });
    const file = join(dir, 'rollouts.jsonl');
    const lines = readJsonlFile<{ rollout: string }>(file);
    const ids: string[] = [];
    const torn: number[] = [];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"rollout":"x","ag');
    expect(await forEachRollout(file, (r) => ids.push(r.rollout), { onTorn: (l) => torn.push(l) })).toBe(lines.length);
    expect(ids).toEqual(lines.map((l) => l.rollout));
    expect(torn).toEqual([lines.length + 1]);
    writeFileSync(file, [JSON.stringify(lines[0]), JSON.stringify({ ...lines[0], length: -1 })].join('\n') + '\n');
    await expect(forEachRollout(file, () => {})).rejects.toThrow(`${file}:2: length: `);
    writeFileSync(file, 'not json\n' + JSON.stringify(lines[0]) + '\n');
    await expect(forEachRollout(file, () => {})).rejects.toThrow(`${file}:1: corrupt line (not JSON): not json`);
  });
});
