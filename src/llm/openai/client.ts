/**
 * Chat Completions through the official `openai` SDK (6.x), loaded on first
 * use. Any OpenAI-compatible server works (vLLM, llama-server, Ollama, the
 * public API). One `create` is one HTTP attempt: the SDK does not retry (the
 * session retries transient faults with backoff and a budget, so every
 * attempt is on the ledger), and each attempt passes the process-wide
 * limiter. A 200 whose body is not a chat completion is a transient
 * "malformed response body", never a reply. Errors come out as one-line
 * `ApiCallError`s with the key scrubbed, classified as for `anthropic`.
 */
import { errorLine, HotmessError, type Json } from '../../core/index.js';
import { retryAfterMs, type Limiter } from '../limiter.js';
import { ApiCallError, apiCallError } from '../anthropic/faults.js';
import { bufferedFetch } from '../anthropic/node-fetch.js';

export interface OpenAIConfig {
  /** Servers on a loopback address take any key; the SDK still needs a non-empty one. */
  readonly apiKey: string;
  readonly baseURL: string;
  /** Retries of a transient fault within one step (the session's budget). */
  readonly maxRetries: number;
  /** The first backoff when the server names no `retry-after`; it doubles, up to 8 s. */
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
}

/** One Chat Completions reply as the cache stores it. */
export interface ChatReply {
  /** The server's request id (`x-request-id`), else the completion id; random per call, so logged under `timing`. */
  readonly requestId: string | null;
  readonly completion: Json;
}

export interface ChatCaller {
  /** Rejects with an `ApiCallError` (or the abort, when `signal` fired). */
  create(request: Record<string, unknown>, signal: AbortSignal): Promise<ChatReply>;
}

export const PUBLIC_OPENAI_URL = 'https://api.openai.com/v1';

export async function createChatCaller(config: OpenAIConfig, limiter: Limiter): Promise<ChatCaller> {
  let OpenAI: typeof import('openai').default;
  try {
    OpenAI = (await import('openai')).default;
  } catch (e) {
    throw new HotmessError('agent', `openai: cannot load the openai package (${errorLine(e)}); run npm install`);
  }
  const gated = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    await limiter.acquire(init?.signal);
    try {
      const response = await bufferedFetch(input, init);
      if (response.status === 429 || response.status === 503) limiter.overloaded(retryAfterMs(response.headers));
      else if (response.ok) limiter.succeeded();
      return response;
    } finally {
      limiter.release();
    }
  };
  const client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0, timeout: config.timeoutMs, fetch: gated as never, logLevel: 'off' });
  const scrub = (s: string) => (config.apiKey.length > 0 ? s.split(config.apiKey).join('[redacted]') : s);
  return {
    async create(request, signal) {
      try {
        const { data, request_id } = await client.chat.completions.create(request as never, { signal }).withResponse();
        const completion = data as unknown as Json;
        const id = request_id ?? ((completion as { id?: unknown } | null)?.id as string | undefined) ?? null;
        if (!completion || typeof completion !== 'object' || !Array.isArray((completion as { choices?: unknown }).choices) || (completion as { choices: unknown[] }).choices.length === 0) {
          throw new ApiCallError(scrub(`openai: malformed response body${id ? ` (request ${id})` : ''}: not a chat completion (no choices)`), 'transient', 200, null, null, client.baseURL);
        }
        return { requestId: typeof id === 'string' ? id : null, completion };
      } catch (e) {
        if (signal.aborted || e instanceof ApiCallError) throw e;
        // A 200 whose body is not JSON: the SDK's parse error, a malformed body like any other.
        if (e instanceof SyntaxError) throw new ApiCallError(scrub(`openai: malformed response body: ${errorLine(e)}`), 'transient', 200, null, null, client.baseURL);
        const err = apiCallError(e, { baseURL: client.baseURL, maxRetries: null, timeoutMs: config.timeoutMs, scrub, provider: 'openai' });
        const headers = (e as { headers?: { get(name: string): string | null } }).headers;
        if (headers && typeof headers.get === 'function') err.retryAfterMs = retryAfterMs(headers);
        throw err;
      }
    },
  };
}

/** Whether a base URL points at this machine (a local server: no key needed, no price by default). */
export function isLoopback(baseURL: string): boolean {
  try {
    const host = new URL(baseURL).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}
