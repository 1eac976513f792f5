/**
 * How a worker process sends finished rollouts to the main process: a byte
 * stream of frames on a pipe of its own, beside the IPC channel (which
 * carries only the small control messages). A frame is a 16-byte header
 * (u32 LE: task number, service messages sent before it, step bytes,
 * rollout-line bytes), then the rollout's step lines exactly as they go into
 * steps.jsonl, then its rollout line.
 *
 * The two channels are not ordered with each other: a rollout's frame can
 * arrive before the IPC messages its agent sent while running (a reply for
 * the run's cost ledger). The count in the header lets the main process hold
 * the frame until it has applied that many of the worker's service messages,
 * so a committed rollout's spend is always on the ledger already.
 * The main process hands the step bytes to the writer as they arrived: no
 * string, no parse, no copy beyond the pipe's own read.
 */
import { ByteSink } from './place.js';

export const FRAME_HEADER = 16;

/** A frame under construction: header first, then the step lines, then the rollout line. */
export function startFrame(seq: number, capacity: number): { sink: ByteSink; finish(line: string, servicesSent: number): Buffer } {
  const sink = new ByteSink(capacity);
  sink.u32(seq);
  const servicesAt = sink.u32(0);
  const stepsAt = sink.u32(0);
  const lineAt = sink.u32(0);
  return {
    sink,
    finish(line, servicesSent) {
      sink.setU32(servicesAt, servicesSent);
      sink.setU32(stepsAt, sink.length - FRAME_HEADER);
      sink.setU32(lineAt, sink.text(line));
      return sink.view();
    },
  };
}

export interface Frame {
  readonly seq: number;
  /** The worker's service messages (IPC) sent before this frame: apply that many before committing it. */
  readonly services: number;
  /** The step bytes, in order (views into the chunks read from the pipe). */
  readonly steps: readonly Buffer[];
  readonly line: string;
}

/** Reads frames out of the chunks a pipe delivers, however they are cut. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private header: { seq: number; services: number; steps: number; line: number } | null = null;

  /** Add what the pipe delivered; returns the frames it completed. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.have += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.have < FRAME_HEADER) break;
        const h = Buffer.concat(this.take(FRAME_HEADER));
        this.header = { seq: h.readUInt32LE(0), services: h.readUInt32LE(4), steps: h.readUInt32LE(8), line: h.readUInt32LE(12) };
      }
      const h = this.header;
      if (this.have < h.steps + h.line) break;
      this.header = null;
      const steps = this.take(h.steps);
      frames.push({ seq: h.seq, services: h.services, steps, line: Buffer.concat(this.take(h.line)).toString('utf8') });
    }
    return frames;
  }

  /** The next `n` bytes, as views (the chunks are never copied). */
  private take(n: number): Buffer[] {
    const out: Buffer[] = [];
    this.have -= n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) {
        out.push(c);
        this.chunks.shift();
        n -= c.length;
      } else {
        out.push(c.subarray(0, n));
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
    return out;
  }
}
