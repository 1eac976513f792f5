/**
 * The Messages API through the official SDK, loaded on first use (scripted
 * runs never import it). One `create` is one HTTP attempt: the SDK does not
 * retry (the session retries transient faults within the step, with
 * backoff and a budget, so every attempt is seen and recorded). Each attempt
 * holds a slot of the process-wide limiter while it is out. The body sent is
 * the request's canonical JSON, the bytes its cache key is made from,
 * through the SDK's `post` (so it is serialised once per attempt, not again
 * by the SDK). The reply is read here: a 200 whose body is not a message
 * (truncated, not JSON, no content array) is a transient "malformed response
 * body" naming the request id, never a reply. Errors come out as one-line
 * `ApiCallError`s (faults.ts) with the API key scrubbed, classified as
 * transient or fatal to the run.
 */
import { errorLine, HotmessError, type Json } from '../../core/index.js';
import { retryAfterMs, type Limiter } from '../limiter.js';
import { ApiCallError, apiCallError } from './faults.js';
import { bufferedFetch } from './node-fetch.js';

export interface AnthropicConfig {
  readonly apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the public API. */
  readonly baseURL?: string;
  /** Retries of a transient fault within one step (the session's budget; the SDK itself makes one attempt). */
  readonly maxRetries: number;
  /** The first backoff between attempts when the server names no `retry-after`; it doubles, up to 8 s. */
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  /** 'node' (default): the lean HTTP/1.1 client (http1.ts) on keep-alive sockets, the least CPU per call; 'fetch': the built-in fetch. */
  readonly httpClient?: 'node' | 'fetch';
}

/** One Messages API reply as the cache stores it. */
export interface MessagesReply {
  readonly requestId: string | null;
  readonly message: Json;
}

export interface MessagesCaller {
  /**
   * One attempt with `body`, the request's JSON as bytes (its canonical JSON,
   * `canonicalJson(request)`). Rejects with an `ApiCallError` (or the abort,
   * when `signal` fired).
   */
  create(body: Uint8Array, signal: AbortSignal): Promise<MessagesReply>;
}

export async function createMessagesCaller(config: AnthropicConfig, limiter: Limiter): Promise<MessagesCaller> {
  let Anthropic: typeof import('@anthropic-ai/sdk').default;
  try {
    Anthropic = (await import('@anthropic-ai/sdk')).default;
  } catch (e) {
    throw new HotmessError('agent', `anthropic: cannot load @anthropic-ai/sdk (${errorLine(e)}); run npm install`);
  }
  const client = new Anthropic({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    maxRetries: 0,
    timeout: config.timeoutMs,
    // Spans cost ~0.2 ms of CPU per call and nothing here reads them.
    openTelemetry: false,
    // Every call's body is JSON bytes: said once here rather than merged from each call's options.
    defaultHeaders: { 'content-type': 'application/json' },
    ...(config.httpClient === 'fetch' ? {} : { fetch: bufferedFetch as never }),
  });
  const scrub = (s: string) => (config.apiKey.length > 0 ? s.split(config.apiKey).join('[redacted]') : s);
  const context = { baseURL: client.baseURL, maxRetries: null, timeoutMs: config.timeoutMs, scrub };
  return {
    async create(body, signal) {
      let response: Response;
      let text: string;
      // The slot is held from before the attempt is sent until its reply (or fault) is in; waiting for one is not under the timeout.
      await limiter.acquire(signal);
      try {
        response = await client.post('/v1/messages', { body, signal }).asResponse();
        limiter.succeeded();
        text = await response.text();
      } catch (e) {
        const status = (e as { status?: unknown }).status;
        const headers = (e as { headers?: { get(name: string): string | null } }).headers;
        const retryAfter = headers && typeof headers.get === 'function' ? retryAfterMs(headers) : null;
        if (status === 429 || status === 529) limiter.overloaded(retryAfter);
        if (signal.aborted) throw e;
        const err = apiCallError(e, context);
        if (retryAfter !== null) err.retryAfterMs = retryAfter;
        throw err;
      } finally {
        limiter.release();
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
