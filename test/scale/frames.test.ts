/**
 * The result pipe of `--workers`: frames written by a worker come out whole
 * and in order however the pipe cuts them, and a frame cut short is never
 * handed over.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader, startFrame } from '../../src/engine/pool-frames.js';

function frame(seq: number, steps: string[], line: string, services = seq * 3): Buffer {
  const f = startFrame(seq, 16);
  for (const s of steps) f.sink.step(s);
  return Buffer.from(f.finish(line, services));
}

const a = frame(7, ['{"rollout":"a","t":1}\n', '{"rollout":"a","t":2,"text":"héllo ✓"}\n'], '{"rollout":"a","length":2}');
const b = frame(8, [], '{"rollout":"b","length":0,"termination":"error"}');
const c = frame(9, ['{"rollout":"c","t":1}\n'], '{"rollout":"c","note":"ünïcode"}');
const stream = Buffer.concat([a, b, c]);

const read = (chunks: Buffer[]) => {
  const r = new FrameReader();
  return chunks.flatMap((ch) => r.push(ch)).map((f) => ({ seq: f.seq, services: f.services, steps: Buffer.concat(f.steps).toString('utf8'), line: f.line }));
};

const expected = [
  { seq: 7, services: 21, steps: '{"rollout":"a","t":1}\n{"rollout":"a","t":2,"text":"héllo ✓"}\n', line: '{"rollout":"a","length":2}' },
  { seq: 8, services: 24, steps: '', line: '{"rollout":"b","length":0,"termination":"error"}' },
  { seq: 9, services: 27, steps: '{"rollout":"c","t":1}\n', line: '{"rollout":"c","note":"ünïcode"}' },
];

describe('result frames of worker processes', () => {
  it('come out whole and in order at every chunk size', () => {
    for (let size = 1; size <= stream.length; size++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
      expect(read(chunks)).toEqual(expected);
    }
  });

  it('hand over nothing of a frame cut short (a worker killed mid-write)', () => {
    expect(read([stream.subarray(0, a.length + b.length + c.length - 1)])).toEqual(expected.slice(0, 2));
    expect(read([a.subarray(0, 15)])).toEqual([]);
  });

  it('count UTF-8 bytes, not characters', () => {
    expect(a.readUInt32LE(8)).toBe(Buffer.byteLength(expected[0].steps));
    expect(c.readUInt32LE(12)).toBe(Buffer.byteLength(expected[2].line));
  });
});
