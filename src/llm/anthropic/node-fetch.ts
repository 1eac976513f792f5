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
 * `bufferedFetch` is the same transport for calls whose reply is read whole
 * (`text()`, `json()`, `arrayBuffer()`; never `body` as a stream): the
 * Messages and Chat Completions calls. Its `Response` holds the bytes
 * without a web stream around them, which cost about as much as the rest
 * of the reply's handling together.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

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

/** Where a URL string goes, parsed once: every call of a run goes to one or two URLs. */
const TARGETS = new Map<string, { readonly options: RequestOptions; readonly https: boolean }>();

function targetOf(input: string | URL): { readonly options: RequestOptions; readonly https: boolean } {
  const href = typeof input === 'string' ? input : input.href;
  let t = TARGETS.get(href);
  if (!t) {
    const url = new URL(href);
    t = { options: urlToHttpOptions(url), https: url.protocol === 'https:' };
    if (TARGETS.size >= 64) TARGETS.clear();
    TARGETS.set(href, t);
  }
  return t;
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
 * A `Response` over bytes already read: `text()`, `json()` and
 * `arrayBuffer()` answer from them (once, as a body can be read once);
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
