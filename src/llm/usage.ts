/**
 * Token counts of model calls and their arithmetic. Pure; no I/O.
 */

/** Tokens of one call, or a total over calls. `cacheWrite` includes `cacheWrite1h`. */
export interface TokenUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  /** The part of `cacheWrite` written with the one-hour TTL (priced higher). */
  readonly cacheWrite1h: number;
}

export const ZERO_USAGE: TokenUsage = Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 });

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
  };
}

/** Prompt size of a call: fresh input plus cache reads and writes (what long-prompt tiers look at). */
export const promptTokens = (u: TokenUsage): number => u.input + u.cacheRead + u.cacheWrite;

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/** Read a Messages API `usage` object; absent or null fields count as zero. */
export function usageFromAnthropic(raw: unknown): TokenUsage {
  const u = (raw ?? {}) as Record<string, unknown>;
  const creation = (u.cache_creation ?? {}) as Record<string, unknown>;
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    cacheWrite: count(u.cache_creation_input_tokens),
    cacheWrite1h: Math.min(count(u.cache_creation_input_tokens), count(creation.ephemeral_1h_input_tokens)),
  };
}
