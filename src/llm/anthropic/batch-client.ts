/**
 * The Message Batches API through the official SDK (loaded on first use):
 * create a batch, retrieve its status, and read its results (JSONL, in any
 * order). Errors come out as one-line `ApiCallError`s, key scrubbed, as for
 * single calls (faults.ts).
 */
import { errorLine, HotmessError, type Json } from '../../core/index.js';
import type { AnthropicConfig } from './client.js';
import { apiCallError } from './faults.js';
import { nodeFetch } from './node-fetch.js';

export interface BatchCounts {
  readonly processing: number;
  readonly succeeded: number;
  readonly errored: number;
  readonly canceled: number;
  readonly expired: number;
}

export interface BatchStatus {
  readonly id: string;
  readonly ended: boolean;
  readonly counts: BatchCounts;
}

/** One request's result: the message, or why there is none. */
export type BatchResult = { readonly type: 'succeeded'; readonly message: Json } | { readonly type: 'errored' | 'expired' | 'canceled'; readonly reason: string };

export interface BatchClient {
  readonly baseURL: string;
  create(requests: readonly { custom_id: string; params: Json }[], signal?: AbortSignal): Promise<BatchStatus>;
  retrieve(id: string, signal?: AbortSignal): Promise<BatchStatus>;
  results(id: string, signal?: AbortSignal): Promise<Map<string, BatchResult>>;
}

export async function createBatchClient(config: AnthropicConfig): Promise<BatchClient> {
  let Anthropic: typeof import('@anthropic-ai/sdk').default;
  try {
    Anthropic = (await import('@anthropic-ai/sdk')).default;
  } catch (e) {
    throw new HotmessError('agent', `anthropic: cannot load @anthropic-ai/sdk (${errorLine(e)}); run npm install`);
  }
  const client = new Anthropic({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    maxRetries: config.maxRetries,
    timeout: config.timeoutMs,
    openTelemetry: false,
    ...(config.httpClient === 'fetch' ? {} : { fetch: nodeFetch as never }),
  });
  const scrub = (s: string) => (config.apiKey.length > 0 ? s.split(config.apiKey).join('[redacted]') : s);
  const guard = async <T>(what: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return await what();
    } catch (e) {
      if (signal?.aborted) throw e;
      throw apiCallError(e, { baseURL: client.baseURL, maxRetries: config.maxRetries, timeoutMs: config.timeoutMs, scrub, provider: 'anthropic batches' });
    }
  };
  const status = (b: { id: string; processing_status: string; request_counts: BatchCounts }): BatchStatus => ({ id: b.id, ended: b.processing_status === 'ended', counts: { ...b.request_counts } });
  return {
    baseURL: client.baseURL,
    create: (requests, signal) => guard(async () => status(await client.messages.batches.create({ requests: requests as never }, { signal })), signal),
    retrieve: (id, signal) => guard(async () => status(await client.messages.batches.retrieve(id, {}, { signal })), signal),
    results: (id, signal) =>
      guard(async () => {
        const out = new Map<string, BatchResult>();
        for await (const r of await client.messages.batches.results(id, {}, { signal })) {
          const res = r.result as { type: string; message?: unknown; error?: { error?: { type?: string; message?: string } } };
          if (res.type === 'succeeded') out.set(r.custom_id, { type: 'succeeded', message: res.message as Json });
          else {
            const e = res.error?.error;
            const reason = res.type === 'errored' ? `errored${e?.type ? ` (${e.type}: ${scrub(e.message ?? '')})` : ''}` : res.type;
            out.set(r.custom_id, { type: res.type as 'errored' | 'expired' | 'canceled', reason });
          }
        }
        return out;
      }, signal),
  };
}
