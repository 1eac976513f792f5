/**
 * A lean `fetch` for the SDK over node:http(s) with keep-alive agents.
 * Node's built-in fetch (undici, web streams) costs about twice the CPU per
 * call, which bounds throughput at high concurrency. Semantics the SDK
 * relies on are kept: an abort rejects with an `AbortError` (the SDK's
 * timeouts abort), a network failure rejects with `TypeError('fetch
 * failed')` (retried as a connection error), and the reply is a standard
 * `Response`, decoded if a proxy compressed it anyway (the SDK asks for no
 * encoding). Bodies other than strings and bytes (streams) go to the
 * built-in fetch.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

const HTTP = new HttpAgent({ keepAlive: true });
const HTTPS = new HttpsAgent({ keepAlive: true });

function abortError(signal: AbortSignal): unknown {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const body = init.body;
  if (input instanceof Request || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))) return fetch(input, init);
  const url = new URL(input instanceof URL ? input.href : input);
  const signal = init.signal ?? null;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const https = url.protocol === 'https:';
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = () => {
      req.destroy();
      fail(abortError(signal!));
    };
    const req = (https ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: https ? HTTPS : HTTP }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(new TypeError('fetch failed', { cause: e })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        const h = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 500;
        const nullBody = status === 204 || status === 304 || (init.method ?? 'GET').toUpperCase() === 'HEAD';
        let data: Buffer;
        try {
          data = decode(Buffer.concat(chunks), h);
        } catch (e) {
          return reject(new TypeError('fetch failed', { cause: e }));
        }
        resolve(new Response(nullBody ? null : data, { status, statusText: res.statusMessage ?? '', headers: h }));
      });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => fail(new TypeError('fetch failed', { cause: e })));
    req.end(body ?? undefined);
  });
}

/** Undo a content-encoding, and drop the headers that described the encoded body. */
function decode(data: Buffer, headers: Headers): Buffer {
  const enc = (headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return data;
  const out = enc === 'gzip' || enc === 'x-gzip' ? gunzipSync(data) : enc === 'br' ? brotliDecompressSync(data) : enc === 'deflate' ? inflateSync(data) : null;
  if (!out) throw new Error(`unsupported content-encoding "${enc}"`);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return out;
}
