/**
 * The Messages API through the official SDK, loaded on first use (scripted
 * runs never import it). Every HTTP attempt, the SDK's own retries included,
 * passes through the process-wide limiter; the SDK's `maxRetries` and
 * `timeout` are set from the agent's params and honour `retry-after`.
 * Errors come out as one-line `ApiCallError`s (faults.ts) with the API key
 * scrubbed, classified as transient or fatal to the run.
 */
import type { Middleware } from '@anthropic-ai/sdk';
import { HotmessError, type Json } from '../../core/index.js';
import { retryAfterMs, type RequestLimiter } from '../limiter.js';
import { apiCallError, firstLine } from './faults.js';
import { nodeFetch } from './node-fetch.js';

export interface AnthropicConfig {
  readonly apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the public API. */
  readonly baseURL?: string;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  /** 'node' (default): node:http(s) with keep-alive, a quarter less CPU per step; 'fetch': the built-in fetch. */
  readonly httpClient?: 'node' | 'fetch';
}

/** One Messages API reply as the cache stores it. */
export interface MessagesReply {
  readonly requestId: string | null;
  readonly message: Json;
}

export interface MessagesCaller {
  /** Rejects with an `ApiCallError` (or the abort, when `signal` fired). */
  create(request: Record<string, unknown>, signal: AbortSignal): Promise<MessagesReply>;
}

export async function createMessagesCaller(config: AnthropicConfig, limiter: RequestLimiter): Promise<MessagesCaller> {
  let Anthropic: typeof import('@anthropic-ai/sdk').default;
  try {
    Anthropic = (await import('@anthropic-ai/sdk')).default;
  } catch (e) {
    throw new HotmessError('agent', `anthropic: cannot load @anthropic-ai/sdk (${firstLine(e)}); run npm install`);
  }
  const gate: Middleware = async (request, next) => {
    await limiter.acquire(request.signal);
    try {
      const response = await next(request);
      if (response.status === 429 || response.status === 529) limiter.overloaded(retryAfterMs(response.headers));
      else if (response.ok) limiter.succeeded();
      return response;
    } finally {
      limiter.release();
    }
  };
  const client = new Anthropic({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    maxRetries: config.maxRetries,
    timeout: config.timeoutMs,
    middleware: [gate],
    // Spans cost ~0.2 ms of CPU per call and nothing here reads them.
    openTelemetry: false,
    ...(config.httpClient === 'fetch' ? {} : { fetch: nodeFetch as never }),
  });
  const scrub = (s: string) => (config.apiKey.length > 0 ? s.split(config.apiKey).join('[redacted]') : s);
  return {
    async create(request, signal) {
      try {
        const message = await client.messages.create(request as never, { signal });
        const requestId = (message as { _request_id?: string | null })._request_id ?? null;
        // The SDK's parsed JSON; its ids are non-enumerable and stay out of the cache.
        return { requestId, message: message as unknown as Json };
      } catch (e) {
        if (signal.aborted) throw e;
        throw apiCallError(e, { baseURL: client.baseURL, maxRetries: config.maxRetries, timeoutMs: config.timeoutMs, scrub });
      }
    },
  };
}
