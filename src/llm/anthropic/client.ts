/**
 * The Messages API through the official SDK, loaded on first use (scripted
 * runs never import it). One `create` is one HTTP attempt: the SDK does not
 * retry (the session retries transient faults within the step, with
 * backoff and a budget, so every attempt is seen and recorded). Each attempt
 * passes through the process-wide limiter. The body is read here: a 200
 * whose body is not a message (truncated, not JSON, no content array) is a
 * transient "malformed response body" naming the request id, never a reply.
 * Errors come out as one-line `ApiCallError`s (faults.ts) with the API key
 * scrubbed, classified as transient or fatal to the run.
 */
import type { Middleware } from '@anthropic-ai/sdk';
import { errorLine, HotmessError, type Json } from '../../core/index.js';
import { retryAfterMs, type Limiter } from '../limiter.js';
import { ApiCallError, apiCallError } from './faults.js';
import { nodeFetch } from './node-fetch.js';

export interface AnthropicConfig {
  readonly apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the public API. */
  readonly baseURL?: string;
  /** Retries of a transient fault within one step (the session's budget; the SDK itself makes one attempt). */
  readonly maxRetries: number;
  /** The first backoff between attempts when the server names no `retry-after`; it doubles, up to 8 s. */
  readonly retryDelayMs: number;
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

export async function createMessagesCaller(config: AnthropicConfig, limiter: Limiter): Promise<MessagesCaller> {
  let Anthropic: typeof import('@anthropic-ai/sdk').default;
  try {
    Anthropic = (await import('@anthropic-ai/sdk')).default;
  } catch (e) {
    throw new HotmessError('agent', `anthropic: cannot load @anthropic-ai/sdk (${errorLine(e)}); run npm install`);
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
    maxRetries: 0,
    timeout: config.timeoutMs,
    middleware: [gate],
    // Spans cost ~0.2 ms of CPU per call and nothing here reads them.
    openTelemetry: false,
    ...(config.httpClient === 'fetch' ? {} : { fetch: nodeFetch as never }),
  });
  const scrub = (s: string) => (config.apiKey.length > 0 ? s.split(config.apiKey).join('[redacted]') : s);
  const context = { baseURL: client.baseURL, maxRetries: null, timeoutMs: config.timeoutMs, scrub };
  return {
    async create(request, signal) {
      let response: Response;
      let text: string;
      try {
        response = await client.messages.create(request as never, { signal }).asResponse();
        text = await response.text();
      } catch (e) {
        if (signal.aborted) throw e;
        const err = apiCallError(e, context);
        const headers = (e as { headers?: { get(name: string): string | null } }).headers;
        if (headers && typeof headers.get === 'function') err.retryAfterMs = retryAfterMs(headers);
        throw err;
      }
      const requestId = response.headers.get('request-id');
      return { requestId, message: readMessage(text, requestId, client.baseURL, scrub) };
    },
  };
}

/** A 200 body as a message, or a transient `ApiCallError` saying why it is not one. */
function readMessage(text: string, requestId: string | null, baseURL: string, scrub: (s: string) => string): Json {
  let message: unknown;
  let why: string | null = null;
  try {
    message = JSON.parse(text);
    if (!message || typeof message !== 'object' || Array.isArray(message) || !Array.isArray((message as { content?: unknown }).content)) why = 'not a message (no content array)';
  } catch (e) {
    why = errorLine(e);
  }
  if (why === null) return message as Json;
  const id = requestId ? ` (request ${requestId})` : '';
  return malformed(scrub(`anthropic: malformed response body${id}: ${why}`), scrub(baseURL));
}

function malformed(message: string, baseURL: string): never {
  throw new ApiCallError(message, 'transient', 200, null, null, baseURL);
}
