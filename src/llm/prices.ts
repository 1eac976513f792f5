/**
 * The price table: USD per million tokens, the one place prices live.
 *
 * Source: the Claude pricing and model-overview pages (platform.claude.com),
 * checked 2026-10-24. Cache writes use the 5-minute rate unless the API
 * reports one-hour writes. Prices change: a scenario can override a model's
 * rates with the agent's `price` param, and an unknown model has no price
 * (its cost is logged as null and `--max-cost` refuses to run it).
 */
import { promptTokens, type TokenUsage } from './usage.js';

export interface Rates {
  readonly input: number;
  readonly output: number;
  /** 5-minute cache write. */
  readonly cacheWrite: number;
  readonly cacheWrite1h: number;
  /** Cache hit (read). */
  readonly cacheRead: number;
}

export interface Price extends Rates {
  /** Prompts (input + cache reads + writes) above `threshold` tokens pay `rates` on every token of the call. */
  readonly long?: { readonly threshold: number; readonly rates: Rates };
  /**
   * The shortest prefix the API caches; shorter ones are billed as plain
   * input. Not a price, but it decides which price applies (dry-run uses
   * it). Absent: assumed 4096, the largest published minimum.
   */
  readonly minCacheTokens?: number;
}

export const PRICES_CHECKED = '2026-10-24';

const rates = (input: number, output: number, cacheRead: number): Rates => ({
  input,
  output,
  cacheWrite: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead,
});

const price = (r: Rates, minCacheTokens: number): Price => ({ ...r, minCacheTokens });

/** Minimum cacheable lengths are published per model; for the newest models they are assumed from the family. */
const OPUS_45 = rates(5, 25, 0.5);
const OPUS_41 = price(rates(15, 75, 1.5), 1024);
const SONNET_4 = price(rates(3, 15, 0.3), 1024);

/** Used when a price override names a model the table does not know: the largest published minimum. */
const UNKNOWN_MIN_CACHE = 4096;

/** Keyed by model id without a date suffix ("claude-haiku-4-5-20251001" finds "claude-haiku-4-5"). */
export const PRICES: Readonly<Record<string, Price>> = {
  'claude-fable-5-1': price(rates(10, 50, 0.25), 512),
  'claude-mythos-5-1': price(rates(10, 50, 0.25), 512),
  'claude-fable-5': price(rates(10, 50, 1), 512),
  'claude-mythos-5': price(rates(10, 50, 1), 512),
  'claude-opus-5-5': price(rates(4, 20, 0.2), 512),
  'claude-opus-5': price(OPUS_45, 512),
  'claude-opus-4-8': price(OPUS_45, 1024),
  'claude-opus-4-7': price(OPUS_45, 4096),
  'claude-opus-4-6': price(OPUS_45, 4096),
  'claude-opus-4-5': price(OPUS_45, 4096),
  'claude-opus-4-1': OPUS_41,
  'claude-opus-4': OPUS_41,
  'claude-sonnet-5-5': price(rates(2, 10, 0.1), 1024),
  'claude-sonnet-5': price(rates(2, 10, 0.2), 1024),
  'claude-sonnet-4-6': price(SONNET_4, 2048),
  'claude-sonnet-4-5': SONNET_4,
  'claude-sonnet-4': SONNET_4,
  'claude-3-7-sonnet': SONNET_4,
  'claude-haiku-5-5': { ...rates(0.1, 0.5, 0.01), long: { threshold: 100_000, rates: rates(0.5, 2.5, 0.05) }, minCacheTokens: 4096 },
  'claude-haiku-4-5': price(rates(1, 5, 0.1), 4096),
  'claude-3-5-haiku': price(rates(0.8, 4, 0.08), 2048),
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03, minCacheTokens: 2048 },
};

const DATE_SUFFIX = /^-\d{8}$/;

/**
 * The price of a model: the table entry whose key is the model id, or the id
 * minus a `-YYYYMMDD` suffix; `override` replaces individual rates (cache
 * rates default from the input rate when only input/output are given).
 * Null when the model is unknown and no full override is given.
 */
export function priceFor(model: string, override?: Partial<Rates>): Price | null {
  let base: Price | null = PRICES[model] ?? null;
  if (!base) {
    for (const key of Object.keys(PRICES)) {
      if (model.startsWith(key) && DATE_SUFFIX.test(model.slice(key.length))) base = PRICES[key];
    }
  }
  if (!override) return base;
  const input = override.input ?? base?.input;
  const output = override.output ?? base?.output;
  if (input === undefined || output === undefined) return null;
  // An override is the user's word for the whole price: no long-prompt tier survives it.
  return {
    input,
    output,
    cacheWrite: override.cacheWrite ?? (override.input !== undefined || !base ? input * 1.25 : base.cacheWrite),
    cacheWrite1h: override.cacheWrite1h ?? (override.input !== undefined || !base ? input * 2 : base.cacheWrite1h),
    cacheRead: override.cacheRead ?? (override.input !== undefined || !base ? input * 0.1 : base.cacheRead),
    minCacheTokens: base?.minCacheTokens ?? UNKNOWN_MIN_CACHE,
  };
}

/** USD cost of a call (or of a total whose calls all sat in one tier), rounded to 1e-10. */
export function costUsd(price: Price, usage: TokenUsage): number {
  const r = price.long && promptTokens(usage) > price.long.threshold ? price.long.rates : price;
  const write5m = usage.cacheWrite - usage.cacheWrite1h;
  const micro = usage.input * r.input + usage.output * r.output + usage.cacheRead * r.cacheRead + write5m * r.cacheWrite + usage.cacheWrite1h * r.cacheWrite1h;
  return roundUsd(micro / 1e6);
}

/** The Message Batches price: half of every rate (input, output, cache reads and writes, long tier). */
export function batchPrice(price: Price): Price {
  const half = (r: Rates): Rates => ({ input: r.input / 2, output: r.output / 2, cacheWrite: r.cacheWrite / 2, cacheWrite1h: r.cacheWrite1h / 2, cacheRead: r.cacheRead / 2 });
  return { ...price, ...half(price), ...(price.long ? { long: { threshold: price.long.threshold, rates: half(price.long.rates) } } : {}) };
}

/** Costs are rounded to 1e-10 USD so sums print without float noise. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e10) / 1e10;

/**
 * The most one request can cost: every prompt token at the dearest input
 * rate (plain, 5-minute or one-hour cache write) and `maxOutputTokens` of
 * output. What a reply that never arrived may have been billed.
 */
export function maxCostUsd(price: Price, promptTokensBound: number, maxOutputTokens: number): number {
  const none = { input: 0, output: maxOutputTokens, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
  return Math.max(
    costUsd(price, { ...none, input: promptTokensBound }),
    costUsd(price, { ...none, cacheWrite: promptTokensBound }),
    costUsd(price, { ...none, cacheWrite: promptTokensBound, cacheWrite1h: promptTokensBound }),
  );
}
