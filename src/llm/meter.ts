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

/** Where a meter records requests durably (the run's cost ledger, ledger.ts). */
export interface LedgerWriter {
  sent(id: number, model: string, maxUsd: number | null): void;
  /** `invocation`: set when the request was sent by an earlier invocation (CostMeter.adopt). */
  reply(id: number, usage: TokenUsage, cost: number | null, invocation?: number): void;
  refused(id: number, status: number, invocation?: number): void;
  lost(id: number, reason: string, invocation?: number): void;
  call(usage: TokenUsage, cost: number | null): void;
}

/**
 * One request, recorded when sent; settle it exactly once with what came
 * back. Provider-neutral: any agent that bills per request uses these.
 */
export class RequestTicket {
  private settled = false;

  constructor(
    private readonly meter: CostMeter,
    readonly id: number,
    /** The most this request can cost; null when unpriced. */
    readonly maxUsd: number | null,
    /** The invocation that sent it, when an earlier one (see CostMeter.adopt); else this one. */
    readonly invocation?: number,
  ) {}

  /** A reply arrived and was read: billed at `usage`. Record it before using (caching) the reply. */
  replied(usage: TokenUsage, cost: number | null): void {
    if (this.settle()) this.meter.settleReply(this, usage, cost);
  }

  /** The server answered with an error status: nothing billed. */
  refused(status: number): void {
    if (this.settle()) this.meter.settleRefused(this, status);
  }

  /** No readable reply (dropped, malformed, timed out, aborted): it may have been billed, up to `maxUsd`. */
  lost(reason: string): void {
    if (this.settle()) this.meter.settleLost(this, reason);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }
}

export class CostMeter {
  /** Calls sent to a provider and paid for (their replies arrived). */
  readonly paid = new Tally();
  /** Replies served from the response cache (free). */
  cacheHits = 0;
  /** Requests sent in this invocation. */
  requests = 0;
  /** Requests whose reply never arrived (lost), and the sum of what they can have cost (null once one is unpriced). */
  lost = 0;
  lostMaxUsd: number | null = 0;

  /** @param ledger told of every request as it is sent and settled (the run's durable ledger). */
  constructor(private readonly ledger?: LedgerWriter) {}

  /** Record a request about to go out; `maxUsd` bounds what it can cost (null: unpriced). */
  sent(model: string, maxUsd: number | null): RequestTicket {
    const ticket = new RequestTicket(this, ++this.requests, maxUsd);
    this.ledger?.sent(ticket.id, model, maxUsd);
    return ticket;
  }

  /**
   * A request an earlier invocation sent and never settled (its `sent` line
   * is on the ledger): a resumed queue coordinator settles it when the
   * worker's entry for it arrives, and what it cost counts here.
   */
  adopt(invocation: number, id: number, maxUsd: number | null): RequestTicket {
    return new RequestTicket(this, id, maxUsd, invocation);
  }

  /** A reply recorded without a ticket (providers that bill nothing, such as local models). */
  recordCall(usage: TokenUsage, cost: number | null): void {
    this.requests++;
    this.paid.add(usage, cost);
    this.ledger?.call(usage, cost);
  }

  recordHit(): void {
    this.cacheHits++;
  }

  /** @internal (RequestTicket) */
  settleReply(t: RequestTicket, usage: TokenUsage, cost: number | null): void {
    this.ledger?.reply(t.id, usage, cost, t.invocation);
    this.paid.add(usage, cost);
  }

  /** @internal (RequestTicket) */
  settleRefused(t: RequestTicket, status: number): void {
    this.ledger?.refused(t.id, status, t.invocation);
  }

  /** @internal (RequestTicket) */
  settleLost(t: RequestTicket, reason: string): void {
    this.ledger?.lost(t.id, reason, t.invocation);
    this.lost++;
    this.lostMaxUsd = this.lostMaxUsd === null || t.maxUsd === null ? null : roundUsd(this.lostMaxUsd + t.maxUsd);
  }

  /** USD spent by priced calls so far. */
  get spentUsd(): number {
    return this.paid.costUsd;
  }

  /**
   * What `--max-cost` bounds: the known spend plus, for every reply lost after
   * it was sent (which the API may have billed), the most it can have cost.
   * `--max-cost` refuses unpriced models, so every bound here is known.
   */
  get budgetUsd(): number {
    return this.lostMaxUsd === null ? this.paid.costUsd : roundUsd(this.paid.costUsd + this.lostMaxUsd);
  }

  /** USD spent so far, or null when any paid call was unpriced (the total is then unknown). */
  get totalUsd(): number | null {
    return this.paid.unpriced > 0 ? null : this.paid.costUsd;
  }

  /** The most spent so far: the known spend plus every lost reply's bound; null when unknown. */
  get atMostUsd(): number | null {
    const known = this.totalUsd;
    return known === null || this.lostMaxUsd === null ? null : roundUsd(known + this.lostMaxUsd);
  }
}
