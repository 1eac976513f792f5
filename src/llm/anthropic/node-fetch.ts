/**
 * A lean `fetch` for the SDKs over node:http(s) with keep-alive agents.
 * Node's built-in fetch (undici, web streams) costs about twice the CPU per
 * call, which bounds throughput at high concurrency. Semantics the SDKs
 * rely on are kept: an abort rejects with an `AbortError` (the SDK's
 * timeouts abort), a network failure rejects with `TypeError('fetch
 * failed')` (retried as a connection error), and the reply is a standard
 * `Response`, decoded if a proxy compressed it anyway (the SDK asks for no
 * encoding). Bodies other than strings and bytes (streams) go to the
 * built-in fetch.
 *
 * `bufferedFetch` is for calls whose reply is read whole (`text()`,
 * `json()`, `arrayBuffer()`; never `body` as a stream): the Messages and
 * Chat Completions calls. It goes over the lean HTTP/1.1 client of
 * http1.ts instead of node:http (half the CPU per call or less), and its
 * `Response` holds the bytes without a web stream around them, which cost
 * about as much as the rest of the reply's handling together. The same
 * semantics as `nodeFetch`, tested on both.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { http1Request, type Origin } from './http1.js';

const HTTP = new HttpAgent({ keepAlive: true });
const HTTPS = new HttpsAgent({ keepAlive: true });

function abortError(signal: AbortSignal): unknown {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  return send(input, init, false);
}

/** `nodeFetch` for replies read whole: the `Response` has no stream (`body` is null), only the bytes. */
export function bufferedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  return send(input, init, true);
}

interface Target {
  readonly options: RequestOptions;
  readonly https: boolean;
  /** For the lean client: the origin and the request target (path and query). */
  readonly origin: Origin;
  readonly path: string;
}

/** Where a URL string goes, parsed once: every call of a run goes to one or two URLs. */
const TARGETS = new Map<string, Target>();

function targetOf(input: string | URL): Target {
  const href = typeof input === 'string' ? input : input.href;
  let t = TARGETS.get(href);
  if (!t) {
    const url = new URL(href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
    const options = urlToHttpOptions(url);
    const https = url.protocol === 'https:';
    const origin: Origin = { https, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? (https ? 443 : 80) : Number(url.port), host: url.host };
    t = { options, https, origin, path: `${url.pathname}${url.search}` };
    if (TARGETS.size >= 64) TARGETS.clear();
    TARGETS.set(href, t);
  }
  return t;
}

/** A call whose reply is read whole, over the lean HTTP/1.1 client (http1.ts). */
function sendBuffered(input: string | URL, init: RequestInit, body: string | Uint8Array | null | undefined, signal: AbortSignal | null): Promise<Response> {
  let target: Target;
  let headers: Headers;
  try {
    target = targetOf(input);
    // A Headers has valid names and values by construction (the lean client writes them as they are).
    headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  } catch (e) {
    return Promise.reject(new TypeError('fetch failed', { cause: e }));
  }
  const method = (init.method ?? 'GET').toUpperCase();
  const bytes = body == null ? null : typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let aborted: unknown = null;
  return http1Request(target.origin, method, target.path, headers, bytes, signal, () => (aborted = abortError(signal!))).then(
    (r) => {
      try {
        const h = new Headers();
        for (let i = 0; i < r.rawHeaders.length; i += 2) h.append(r.rawHeaders[i], r.rawHeaders[i + 1]);
        const nullBody = r.status === 204 || r.status === 304 || method === 'HEAD';
        const data = decode(r.body, h);
        return new BufferedResponse(nullBody ? EMPTY : data, { status: r.status, statusText: r.statusText, headers: h }) as unknown as Response;
      } catch (e) {
        throw new TypeError('fetch failed', { cause: e });
      }
    },
    (e: unknown) => {
      throw aborted !== null && e === aborted ? e : new TypeError('fetch failed', { cause: e });
    },
  );
}

/** Request headers as node:http takes them, without copying them into another `Headers` first. */
function plainHeaders(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  (h instanceof Headers ? h : new Headers(h)).forEach((v, k) => (out[k] = v));
  return out;
}

function send(input: string | URL | Request, init: RequestInit, buffered: boolean): Promise<Response> {
  const body = init.body;
  if (input instanceof Request || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))) return fetch(input, init);
  const signal = init.signal ?? null;
  if (buffered) return sendBuffered(input, init, body as string | Uint8Array | null | undefined, signal);
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    let target: ReturnType<typeof targetOf>;
    let headers: Record<string, string>;
    try {
      target = targetOf(input);
      headers = plainHeaders(init.headers);
    } catch (e) {
      return reject(new TypeError('fetch failed', { cause: e }));
    }
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
    const method = init.method ?? 'GET';
    const req = (target.https ? httpsRequest : httpRequest)({ ...target.options, method, headers, agent: target.https ? HTTPS : HTTP }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(new TypeError('fetch failed', { cause: e })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        try {
          const h = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
          const status = res.statusCode ?? 500;
          const nullBody = status === 204 || status === 304 || method.toUpperCase() === 'HEAD';
          const data = decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), h);
          const responseInit = { status, statusText: res.statusMessage ?? '', headers: h };
          resolve(buffered ? (new BufferedResponse(nullBody ? EMPTY : data, responseInit) as unknown as Response) : new Response(nullBody ? null : data, responseInit));
        } catch (e) {
          reject(new TypeError('fetch failed', { cause: e }));
        }
      });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => fail(new TypeError('fetch failed', { cause: e })));
    req.end(body ?? undefined);
  });
}

const EMPTY = Buffer.alloc(0);

/** The standard constructor, typed only as far as the subclass below uses it (lib.dom types `text` & co. as fields). */
const StandardResponse: new (body: null, init: ResponseInit) => object = Response;

/**
 * A `Response` over bytes already read: `text()`, `json()`,
 * `arrayBuffer()`, `blob()` and `bytes()` answer from them (once, as a body can be read once);
 * `body` is null, as for a reply without one.
 */
class BufferedResponse extends StandardResponse {
  #data: Buffer;
  #used = false;

  constructor(data: Buffer, init: ResponseInit) {
    super(null, init);
    this.#data = data;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#data;
  }

  text(): Promise<string> {
    try {
      const data = this.#take();
      // As the standard's UTF-8 decode: a leading byte order mark is dropped.
      const bom = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf;
      return Promise.resolve(data.toString('utf8', bom ? 3 : 0));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  json(): Promise<unknown> {
    return this.text().then(JSON.parse);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    try {
      const data = this.#take();
      return Promise.resolve(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // The standard's own would read the null body: an empty Blob or array, the reply silently lost.
  blob(): Promise<Blob> {
    try {
      const data = this.#take();
      return Promise.resolve(new Blob([data], { type: (this as unknown as Response).headers.get('content-type') ?? '' }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  bytes(): Promise<Uint8Array> {
    try {
      return Promise.resolve(new Uint8Array(this.#take()));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  clone(): Response {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    const self = this as unknown as Response;
    return new BufferedResponse(this.#data, { status: self.status, statusText: self.statusText, headers: self.headers }) as unknown as Response;
  }
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
