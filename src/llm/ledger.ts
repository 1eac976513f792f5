/**
 * The run's cost ledger, `RUN/cost.jsonl`. Every request is recorded twice,
 * synchronously: a `sent` line before it goes out (with the most it can
 * cost), and, when its fate is known, a `reply` line (tokens and USD: paid),
 * a `refused` line (the server answered an error status: not billed) or a
 * `lost` line (no readable reply: a dropped connection, a malformed body, a
 * timeout; it may have been billed). A `sent` line without a `reply` or
 * `refused` line is a request whose bill is unknown: lost, or in flight at a
 * kill -9. Spend is therefore a bracket: the known cost of the replies, and
 * at most that plus each unknown request's bound. `call` lines record a
 * reply without a separate `sent` line (providers that bill nothing: local
 * models; and ledgers written before `sent` lines existed). An `end` line
 * closes an invocation that finished normally.
 *
 * `RUN/cost.json` is a summary rebuilt from the whole ledger at the end of
 * every invocation (never summed onto itself), so the first invocation to
 * finish after a crash reports the true cumulative bracket.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HotmessError, writeFileAtomic, zodIssue, type Json } from '../core/index.js';
import { AppendLog } from './append-log.js';
import { Tally, type LedgerWriter } from './meter.js';
import { roundUsd } from './prices.js';
import type { TokenUsage } from './usage.js';

/** The ledger file, beside `cost.json` in the run directory. */
export const COST_LEDGER = 'cost.jsonl';
/** The summary file: paid calls and USD, summed over every invocation on the directory. */
export const COST_FILE = 'cost.json';

const Count = z.number().int().nonnegative();
const Tokens = {
  inputTokens: Count,
  outputTokens: Count,
  cacheReadTokens: Count,
  cacheWriteTokens: Count,
  /** Null: the model has no price (unknown, not zero). */
  costUsd: z.number().nonnegative().nullable(),
};
/**
 * A line a queue coordinator wrote from its run's call stream (queue/calls.ts)
 * carries the stream entry it came from: its id (`at`) and the worker
 * attempt and number that wrote it (`from`, "<attempt>/<n>"), so a resumed
 * coordinator applies each entry once, a copy resent after a reconnect
 * included; a `sent` line also names the worker's request (`src`), so its
 * reply can settle it after a coordinator crash.
 */
const FromStream = { at: z.string().optional(), from: z.string().optional() };
const CallLine = z.object({ kind: z.literal('call'), invocation: Count, ...Tokens, ...FromStream });
const SentLine = z.object({
  kind: z.literal('sent'),
  invocation: Count,
  /** Numbers this invocation's requests from 1. */
  id: Count,
  model: z.string(),
  /** The most this request can cost (every prompt token at the dearest input rate, max_tokens of output); null when unpriced. */
  maxUsd: z.number().nonnegative().nullable(),
  ...FromStream,
  src: z.string().optional(),
});
/** A reply, refusal or loss settles the `sent` line of its `invocation` and `id` (after a coordinator crash, a later invocation settles an earlier one's request). */
const ReplyLine = z.object({ kind: z.literal('reply'), invocation: Count, id: Count, ...Tokens, ...FromStream });
const RefusedLine = z.object({ kind: z.literal('refused'), invocation: Count, id: Count, status: z.number().int(), ...FromStream });
const LostLine = z.object({ kind: z.literal('lost'), invocation: Count, id: Count, reason: z.string(), ...FromStream });
const EndLine = z.object({ kind: z.literal('end'), invocation: Count, cacheHits: Count });
export const LedgerLineSchema = z.discriminatedUnion('kind', [SentLine, ReplyLine, RefusedLine, LostLine, CallLine, EndLine]);
export type LedgerLine = z.infer<typeof LedgerLineSchema>;

const usageOf = (l: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }): TokenUsage => ({
  input: l.inputTokens,
  output: l.outputTokens,
  cacheRead: l.cacheReadTokens,
  cacheWrite: l.cacheWriteTokens,
  cacheWrite1h: 0,
});

/** Spend of a set of requests: the known part and what is unknown about the rest. */
class Sums {
  readonly known = new Tally();
  requests = 0;
  refused = 0;
  /** Sent requests with no reply and no refusal. */
  unknown = 0;
  /** Sum of their bounds; null once one is unpriced. */
  unknownMaxUsd: number | null = 0;

  addUnknown(maxUsd: number | null): void {
    this.unknown++;
    this.unknownMaxUsd = this.unknownMaxUsd === null || maxUsd === null ? null : roundUsd(this.unknownMaxUsd + maxUsd);
  }

  toInfo(): { [key: string]: Json } {
    const info = this.known.toInfo();
    const known = info.costUsd as number | null;
    return {
      ...info,
      unpricedCalls: this.known.unpriced,
      requests: this.requests,
      refused: this.refused,
      unknownReplies: this.unknown,
      costUsdAtMost: known === null || this.unknownMaxUsd === null ? null : roundUsd(known + this.unknownMaxUsd),
    };
  }
}

/**
 * The `cost.json` document for a ledger. Pure. `costUsd` is what the replies
 * that arrived cost (null when any was unpriced); `costUsdAtMost` adds the
 * bound of every request whose reply never arrived (`unknownReplies`). An
 * invocation without an `end` line was killed (`complete: false`), and its
 * cache hits are unknown (null).
 */
export function summarizeLedger(lines: readonly LedgerLine[]): { [key: string]: Json } {
  const total = new Sums();
  let hits = 0;
  const byInvocation = new Map<number, { sums: Sums; cacheHits: number | null; open: Map<number, number | null> }>();
  const of = (n: number) => {
    let s = byInvocation.get(n);
    if (!s) byInvocation.set(n, (s = { sums: new Sums(), cacheHits: null, open: new Map() }));
    return s;
  };
  for (const l of lines) {
    const s = of(l.invocation);
    switch (l.kind) {
      case 'sent':
        s.open.set(l.id, l.maxUsd);
        s.sums.requests++;
        total.requests++;
        break;
      case 'call':
      case 'reply':
        if (l.kind === 'call') {
          s.sums.requests++;
          total.requests++;
        } else s.open.delete(l.id);
        s.sums.known.add(usageOf(l), l.costUsd);
        total.known.add(usageOf(l), l.costUsd);
        break;
      case 'refused':
        s.open.delete(l.id);
        s.sums.refused++;
        total.refused++;
        break;
      case 'lost':
        // Stays open: a lost reply may have been billed.
        break;
      case 'end':
        s.cacheHits = l.cacheHits;
        hits += l.cacheHits;
        break;
    }
  }
  for (const s of byInvocation.values()) {
    for (const maxUsd of s.open.values()) {
      s.sums.addUnknown(maxUsd);
      total.addUnknown(maxUsd);
    }
  }
  const invocations = [...byInvocation.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([invocation, s]) => ({ invocation, ...s.sums.toInfo(), cacheHits: s.cacheHits, complete: s.cacheHits !== null }));
  return {
    note: `model requests of every invocation on this run directory, rebuilt from ${COST_LEDGER}: costUsd is what the replies that arrived cost, costUsdAtMost adds the most each request without a reply (unknownReplies: lost, or in flight at a kill) can have cost; cache hits are free; a cost is null when a model has no price`,
    total: { ...total.toInfo(), cacheHits: hits },
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
    if (!parsed.success) throw new HotmessError('log', `${path}:${i + 1}: ${zodIssue(parsed.error, { root: 'line' })}`);
    out.push(parsed.data);
  }
  return out;
}

/** Where the lines being written come from: a queue coordinator's call-stream entry, and the worker's request it records. */
export interface LedgerSource {
  /** The stream entry's id. */
  readonly at?: string;
  /** The worker attempt's token and the entry's number in it ("<token>/<n>"). */
  readonly from?: string;
  /** The worker's request (attempt/ticket id), on a `sent` line. */
  readonly src?: string;
}

/** One invocation's writer on a run directory's ledger. Opens lazily: a run that never calls a model writes nothing. */
export class CostLedger implements LedgerWriter {
  private readonly log: AppendLog;
  private invocation = 0;
  /** Set by a queue coordinator while it applies one entry of its run's call stream: written on the lines that entry makes. */
  source: LedgerSource | null = null;

  constructor(readonly runDir: string) {
    this.log = new AppendLog(join(runDir, COST_LEDGER));
  }

  get path(): string {
    return this.log.path;
  }

  sent(id: number, model: string, maxUsd: number | null): void {
    const src = this.source?.src;
    this.write({ kind: 'sent', invocation: this.open(), id, model, maxUsd, ...this.at(), ...(src !== undefined ? { src } : {}) });
  }

  /** `invocation`: a request an earlier invocation sent (a resumed queue coordinator settles it); default this one. */
  reply(id: number, usage: TokenUsage, cost: number | null, invocation?: number): void {
    this.write({ kind: 'reply', invocation: invocation ?? this.open(), id, ...tokens(usage), costUsd: cost, ...this.at() });
  }

  refused(id: number, status: number, invocation?: number): void {
    this.write({ kind: 'refused', invocation: invocation ?? this.open(), id, status, ...this.at() });
  }

  lost(id: number, reason: string, invocation?: number): void {
    this.write({ kind: 'lost', invocation: invocation ?? this.open(), id, reason, ...this.at() });
  }

  /** A reply recorded without a `sent` line (a provider that bills nothing). */
  call(usage: TokenUsage, cost: number | null): void {
    this.write({ kind: 'call', invocation: this.open(), ...tokens(usage), costUsd: cost, ...this.at() });
  }

  private at(): { at?: string; from?: string } {
    const at = this.source?.at;
    const from = this.source?.from;
    return { ...(at !== undefined ? { at } : {}), ...(from !== undefined ? { from } : {}) };
  }

  /**
   * End this invocation: an `end` line when it used the model at all (paid
   * or cached), then `cost.json` rebuilt from the ledger when one exists.
   */
  finish(cacheHits: number): void {
    if (this.log.isOpen || cacheHits > 0) this.write({ kind: 'end', invocation: this.open(), cacheHits });
    this.log.close();
    if (!existsSync(this.path)) return;
    writeFileAtomic(join(this.runDir, COST_FILE), JSON.stringify(summarizeLedger(readLedger(this.path)), null, 2) + '\n');
  }

  private write(line: LedgerLine): void {
    this.log.append(JSON.stringify(line));
  }

  /** Number this invocation after the ledger's last, once (the append log cuts a torn tail when it opens). */
  private open(): number {
    if (this.invocation > 0) return this.invocation;
    let last = 0;
    // A torn last line is skipped by the reader and cut by the first append.
    for (const l of readLedger(this.path)) last = Math.max(last, l.invocation);
    this.invocation = last + 1;
    return this.invocation;
  }
}

const tokens = (u: TokenUsage) => ({ inputTokens: u.input, outputTokens: u.output, cacheReadTokens: u.cacheRead, cacheWriteTokens: u.cacheWrite });
