/**
 * Cost accounting. A `Tally` sums calls, tokens and USD; a rollout keeps one
 * over every reply it used (cached or not: deterministic, so a replay logs
 * the same totals), and the run's `CostMeter` keeps one over the calls
 * actually paid for in this process, which is what `--max-cost` bounds.
 */
import type { Json } from '../core/index.js';
import { roundUsd } from './prices.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from './usage.js';

export class Tally {
  calls = 0;
  usage: TokenUsage = ZERO_USAGE;
  costUsd = 0;
  /** Calls whose model has no price: their cost is unknown, not zero. */
  unpriced = 0;

  add(usage: TokenUsage, cost: number | null): void {
    this.calls++;
    this.usage = addUsage(this.usage, usage);
    if (cost === null) this.unpriced++;
    else this.costUsd = roundUsd(this.costUsd + cost);
  }

  /** Flat fields for a log line; `costUsd` is null when any call was unpriced. */
  toInfo(): { [key: string]: Json } {
    return {
      calls: this.calls,
      inputTokens: this.usage.input,
      outputTokens: this.usage.output,
      cacheReadTokens: this.usage.cacheRead,
      cacheWriteTokens: this.usage.cacheWrite,
      costUsd: this.unpriced > 0 ? null : this.costUsd,
    };
  }
}

export class CostMeter {
  /** Calls sent to a provider and paid for. */
  readonly paid = new Tally();
  /** Replies served from the response cache (free). */
  cacheHits = 0;

  /** @param onPaid told of every paid call as it is recorded (the run's durable ledger). */
  constructor(private readonly onPaid?: (usage: TokenUsage, cost: number | null) => void) {}

  recordCall(usage: TokenUsage, cost: number | null): void {
    this.paid.add(usage, cost);
    this.onPaid?.(usage, cost);
  }

  recordHit(): void {
    this.cacheHits++;
  }

  /** USD spent by priced calls so far (what `--max-cost` bounds; it refuses unpriced models). */
  get spentUsd(): number {
    return this.paid.costUsd;
  }

  /** USD spent so far, or null when any paid call was unpriced (the total is then unknown). */
  get totalUsd(): number | null {
    return this.paid.unpriced > 0 ? null : this.paid.costUsd;
  }
}
