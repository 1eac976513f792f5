/**
 * The CLI's side of model-backed runs: flags in (parsed into the typed
 * options of workflows/llm-run.ts), text out (the dry-run estimate, the
 * spend totals).
 */
import { HotmessError } from '../core/index.js';
import type { RunEstimate } from '../llm/index.js';
import type { LlmOptions, LlmTotals } from '../workflows/index.js';
import { optionalIntFlag } from './flags.js';

/** The model flags as typed; `run`, `fork` and `scenario tune` take a subset. */
export interface LlmFlags {
  maxCost?: string;
  maxRequests?: string;
  replay?: string;
  batch?: boolean;
  batchPoll?: string;
}

export function parseMaxCost(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new HotmessError('usage', `--max-cost: expected a positive number of US dollars, got "${v}"`);
  return n;
}

/** The flags as options; a bad value is a usage error naming its flag. */
export function llmOptions(flags: LlmFlags, extra: Pick<LlmOptions, 'forkOf'> = {}): LlmOptions {
  return {
    maxCost: parseMaxCost(flags.maxCost),
    maxRequests: optionalIntFlag('--max-requests', flags.maxRequests, { min: 1 }),
    batchPollMs: optionalIntFlag('--batch-poll', flags.batchPoll, { min: 10, expected: 'milliseconds (an integer of at least 10)' }),
    replay: flags.replay,
    batch: flags.batch,
    ...extra,
  };
}

const usd = (v: number | null): string => (v === null ? 'unpriced' : `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`);
const kTok = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

export function formatEstimate(name: string, e: RunEstimate): string {
  if (e.rows.length === 0) return `dry run of ${name}: no model-backed agents; nothing is billed\n`;
  const lines = [`dry run of ${name}: estimated cost before any call`];
  const batch = e.totalBatchUsd !== undefined;
  lines.push(`agent        model                 H     rollouts  steps    input   cache r  cache w  output   cost${batch ? '       batch' : ''}`);
  for (const r of e.rows) {
    const b = batch ? ` ${(r.batchUsd === undefined ? usd(r.costUsd) + ' (not batched)' : usd(r.batchUsd))}` : '';
    lines.push(
      `${r.agent.padEnd(12)} ${r.model.padEnd(21)} ${String(r.horizon).padEnd(5)} ${String(r.rollouts).padEnd(9)} ${String(r.steps).padEnd(8)} ` +
        `${kTok(r.tokens.input).padEnd(7)} ${kTok(r.tokens.cacheRead).padEnd(8)} ${kTok(r.tokens.cacheWrite).padEnd(8)} ${kTok(r.tokens.output).padEnd(8)} ${batch ? usd(r.costUsd).padEnd(10) : usd(r.costUsd)}${b}`,
    );
  }
  lines.push(`total: ${usd(e.totalUsd)}${batch ? `; with --batch (Message Batches at half price): ${usd(e.totalBatchUsd ?? null)}` : ''}  (method: ${e.method})`);
  return lines.join('\n') + '\n';
}

export function formatTotals(t: LlmTotals): string {
  if (t.replayedFrom) return `replayed from ${t.replayedFrom}: ${t.cacheHits} cached replies, 0 API calls\n`;
  let spent = t.spentUsd === null ? `spent unknown (${t.unpricedCalls} of them to models without a price)` : `spent $${t.spentUsd.toFixed(4)}`;
  // Replies that never arrived may have been billed: the spend is a bracket.
  if (t.lostReplies > 0) spent += ` known, at most ${t.spentAtMostUsd === null ? 'unknown' : `$${t.spentAtMostUsd.toFixed(4)}`} (${t.lostReplies} repl${t.lostReplies === 1 ? 'y' : 'ies'} lost in transit may be billed)`;
  const see = t.paidCalls + t.cacheHits > 0 ? ' (see cost.json)' : '';
  let text = `model calls: ${t.paidCalls} paid, ${t.cacheHits} from the cache; ${spent}${see}\n`;
  const p = t.forkPrefix;
  if (p && p.realReplies < p.steps) text += `fork: the source run's cache holds ${p.realReplies} of the ${p.steps} replayed replies; the others are shown to the model as bare tool calls\n`;
  return text;
}
