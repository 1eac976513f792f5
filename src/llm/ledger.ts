/**
 * The run's cost ledger, `RUN/cost.jsonl`: one `call` line per paid model
 * call, appended synchronously as the reply arrives, and one `end` line when
 * an invocation finishes normally. A kill -9 loses at most the call in
 * flight. `RUN/cost.json` is a summary rebuilt from the whole ledger at the
 * end of every invocation (never summed onto itself), so the first
 * invocation to finish after a crash reports the true cumulative spend.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HotmessError, type Json } from '../core/index.js';
import { Tally } from './meter.js';
import type { TokenUsage } from './usage.js';

/** The ledger file, beside `cost.json` in the run directory. */
export const COST_LEDGER = 'cost.jsonl';
/** The summary file: paid calls and USD, summed over every invocation on the directory. */
export const COST_FILE = 'cost.json';

const Count = z.number().int().nonnegative();
const CallLine = z.object({
  kind: z.literal('call'),
  invocation: Count,
  inputTokens: Count,
  outputTokens: Count,
  cacheReadTokens: Count,
  cacheWriteTokens: Count,
  /** Null: the model has no price (unknown, not zero). */
  costUsd: z.number().nonnegative().nullable(),
});
const EndLine = z.object({ kind: z.literal('end'), invocation: Count, cacheHits: Count });
export const LedgerLineSchema = z.discriminatedUnion('kind', [CallLine, EndLine]);
export type LedgerLine = z.infer<typeof LedgerLineSchema>;

interface InvocationSums {
  readonly tally: Tally;
  cacheHits: number | null;
}

const usageOf = (l: z.infer<typeof CallLine>): TokenUsage => ({ input: l.inputTokens, output: l.outputTokens, cacheRead: l.cacheReadTokens, cacheWrite: l.cacheWriteTokens, cacheWrite1h: 0 });

/**
 * The `cost.json` document for a ledger. Pure. A USD total is null when any
 * call in it was unpriced; an invocation without an `end` line was killed
 * (`complete: false`), and its cache hits are unknown (null).
 */
export function summarizeLedger(lines: readonly LedgerLine[]): { [key: string]: Json } {
  const total = new Tally();
  let hits = 0;
  const byInvocation = new Map<number, InvocationSums>();
  const of = (n: number): InvocationSums => {
    let s = byInvocation.get(n);
    if (!s) byInvocation.set(n, (s = { tally: new Tally(), cacheHits: null }));
    return s;
  };
  for (const l of lines) {
    const s = of(l.invocation);
    if (l.kind === 'call') {
      s.tally.add(usageOf(l), l.costUsd);
      total.add(usageOf(l), l.costUsd);
    } else {
      s.cacheHits = l.cacheHits;
      hits += l.cacheHits;
    }
  }
  const invocations = [...byInvocation.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([invocation, s]) => ({ invocation, ...s.tally.toInfo(), unpricedCalls: s.tally.unpriced, cacheHits: s.cacheHits, complete: s.cacheHits !== null }));
  return {
    note: `paid model calls of every invocation on this run directory, rebuilt from ${COST_LEDGER}; cache hits are free; costUsd is null when a model has no price`,
    total: { ...total.toInfo(), unpricedCalls: total.unpriced, cacheHits: hits },
    invocations,
  };
}

/** Read a ledger; a torn last line (a crash mid-append) is skipped, any other bad line is an error. */
export function readLedger(path: string): LedgerLine[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: LedgerLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].length === 0) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(lines[i]);
    } catch {
      if (i === lines.length - 1) continue;
      throw new HotmessError('log', `${path}:${i + 1}: corrupt cost ledger line (not JSON)`);
    }
    const parsed = LedgerLineSchema.safeParse(raw);
    if (!parsed.success) throw new HotmessError('log', `${path}:${i + 1}: ${parsed.error.issues[0]?.path.join('.') || 'line'}: ${parsed.error.issues[0]?.message}`);
    out.push(parsed.data);
  }
  return out;
}

/** One invocation's writer on a run directory's ledger. Opens lazily: a run that never calls a model writes nothing. */
export class CostLedger {
  private fd: number | null = null;
  private invocation = 0;

  constructor(readonly runDir: string) {}

  get path(): string {
    return join(this.runDir, COST_LEDGER);
  }

  /** Append one paid call (synchronously: a crash loses at most the call in flight). */
  recordCall(usage: TokenUsage, cost: number | null): void {
    const line: LedgerLine = { kind: 'call', invocation: this.open(), inputTokens: usage.input, outputTokens: usage.output, cacheReadTokens: usage.cacheRead, cacheWriteTokens: usage.cacheWrite, costUsd: cost };
    writeSync(this.fd!, JSON.stringify(line) + '\n');
  }

  /**
   * End this invocation: an `end` line when it used the model at all (paid
   * or cached), then `cost.json` rebuilt from the ledger when one exists.
   */
  finish(cacheHits: number): void {
    if (this.fd !== null || cacheHits > 0) {
      const line: LedgerLine = { kind: 'end', invocation: this.open(), cacheHits };
      writeSync(this.fd!, JSON.stringify(line) + '\n');
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (!existsSync(this.path)) return;
    const file = join(this.runDir, COST_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(summarizeLedger(readLedger(this.path)), null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  }

  /** Open for appending once: number this invocation after the ledger's last, and cut a torn tail. */
  private open(): number {
    if (this.fd !== null) return this.invocation;
    mkdirSync(this.runDir, { recursive: true });
    let last = 0;
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      const cut = text.lastIndexOf('\n') + 1;
      if (cut < text.length) {
        // A crash mid-append left half a line: drop it, so the next line starts clean.
        const fd = openSync(this.path, 'r+');
        ftruncateSync(fd, Buffer.byteLength(text.slice(0, cut)));
        closeSync(fd);
      }
      for (const l of readLedger(this.path)) last = Math.max(last, l.invocation);
    }
    this.invocation = last + 1;
    this.fd = openSync(this.path, 'a');
    return this.invocation;
  }
}
