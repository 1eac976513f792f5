/**
 * A lean HTTP/1.1 client for the model APIs' calls whose reply is read
 * whole (`bufferedFetch`): one request, one buffered response, over
 * keep-alive sockets (node:net, node:tls) pooled per origin.
 *
 * Why not node:http: its request and response objects, streams and
 * per-request listeners cost 65–90 µs of CPU per call warm and about 180 µs
 * before V8 has optimised them; this costs 35–40 and about 70. At 64
 * requests in flight every call's CPU is on the one core the engine runs on
 * (bench llm). Semantics kept from node:http with a keep-alive agent: a
 * `host` header, `content-length` bodies, responses framed by
 * `content-length`, chunked transfer coding or the connection's end, 1xx
 * interim responses skipped, idle sockets unref'd (they never keep the
 * process alive) and reused most recent first, a socket not reused after
 * `connection: close` (the server's or the caller's), HTTP/1.0, a reply
 * naming both content-length and transfer-encoding, or anything
 * unexpected, and no request retried on its own: a request that fails is
 * the caller's to retry.
 * Servers that bound idle time (`keep-alive: timeout=N`) are believed, less
 * a second, and a socket is idle at most 4 s when the server names no bound,
 * so a socket the server is about to close is not picked.
 * Anything malformed (a bad status line, a bad header, a bad chunk, a head
 * over 64 KiB, a body cut short) fails the call with an error saying what.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** Where requests go: one pool of idle sockets per origin. */
export interface Origin {
  readonly https: boolean;
  /** Host name or address, without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The `host` header: the URL's host (brackets and a non-default port kept). */
  readonly host: string;
}

export interface Http1Response {
  readonly status: number;
  readonly statusText: string;
  /** Header names and values in arrival order, as node's `rawHeaders`. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** A call that failed on the wire (refused, reset, cut short, malformed); `cause` says how. */
export class Http1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
    /**
     * The call went out on a kept-alive connection taken from the pool, and the
     * connection was closed or reset before any byte of a reply: the server's
     * idle close crossed the request (the caller may send it again on a new
     * connection; the request is not sent again here).
     */
    readonly closedIdle = false,
  ) {
    super(message);
    this.name = 'Http1Error';
  }
}

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;
/** Idle sockets kept per origin; more are closed. */
const MAX_IDLE = 256;
/** Believe a server's `keep-alive: timeout=N` less this much. */
const KEEP_ALIVE_MARGIN_MS = 1000;
/**
 * How long an idle socket is reused when the server names no bound: under
 * the 5 s after which uvicorn (vLLM), llama.cpp and node servers close an
 * idle connection without saying so, as undici's 4 s default, so that a
 * request does not cross the server's close on a socket it is just closing.
 */
const DEFAULT_IDLE_MS = 4000;

const enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/**
 * One response, parsed from the bytes as they arrive (`push`), then the
 * connection's end (`end`). Pure: it reads bytes and says when the message
 * is complete, whether the connection may carry another, and what was wrong.
 */
export class ResponseParser {
  private phase = Phase.Head;
  /** Unconsumed bytes of a head, chunk-size line or trailer, carried to the next push. */
  private pending: Buffer | null = null;
  private remaining = 0;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private headBytes = 0;
  private status = 0;
  private statusText = '';
  private rawHeaders: string[] = [];
  private keepAlive = true;
  /** The server's idle bound (`keep-alive: timeout=N`), in ms; null when it names none. */
  idleTimeoutMs: number | null = null;
  /** Bytes after the end of the message: the connection is out of step and not reused. */
  private extra = false;

  constructor(private readonly noBody: boolean) {}

  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** Whether the connection can carry the next request (once `done`). */
  get reusable(): boolean {
    return this.keepAlive && !this.extra;
  }

  /** Take the next bytes; returns true once the message is complete. Throws an `Http1Error` on malformed input. */
  push(chunk: Buffer): boolean {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    for (;;) {
      switch (this.phase) {
        case Phase.Head: {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) {
            if (this.headBytes + buf.length > MAX_HEAD) throw bad('response head over 64 KiB');
            this.pending = buf;
            return false;
          }
          this.headBytes += end + 4;
          if (this.headBytes > MAX_HEAD) throw bad('response head over 64 KiB');
          this.head(buf.toString('latin1', 0, end));
          buf = buf.subarray(end + 4);
          break;
        }
        case Phase.Length:
        case Phase.ChunkData: {
          const take = Math.min(this.remaining, buf.length);
          if (take > 0) this.keep(buf.subarray(0, take));
          this.remaining -= take;
          buf = buf.subarray(take);
          if (this.remaining > 0) return false;
          this.phase = this.phase === Phase.Length ? Phase.Done : Phase.ChunkEnd;
          break;
        }
        case Phase.ChunkEnd: {
          if (buf.length < 2) {
            if (buf.length === 1 && buf[0] !== 0x0d) throw bad('chunk not followed by CRLF');
            this.pending = buf.length > 0 ? buf : null;
            return false;
          }
          if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw bad('chunk not followed by CRLF');
          buf = buf.subarray(2);
          this.phase = Phase.ChunkSize;
          break;
        }
        case Phase.ChunkSize:
        case Phase.Trailers: {
          const end = buf.indexOf(CRLF);
          if (end < 0) {
            if (buf.length > MAX_LINE) throw bad(this.phase === Phase.Trailers ? 'trailer line over 8 KiB' : 'chunk size line over 8 KiB');
            this.pending = buf;
            return false;
          }
          const line = buf.toString('latin1', 0, end);
          buf = buf.subarray(end + 2);
          if (this.phase === Phase.Trailers) {
            this.headBytes += end + 2;
            if (this.headBytes > MAX_HEAD) throw bad('response head and trailers over 64 KiB');
            if (line.length === 0) this.phase = Phase.Done;
            break;
          }
          const hex = line.split(';', 1)[0].trim();
          if (!/^[0-9A-Fa-f]{1,12}$/.test(hex)) throw bad(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(hex, 16);
          this.phase = this.remaining === 0 ? Phase.Trailers : Phase.ChunkData;
          break;
        }
        case Phase.UntilClose:
          if (buf.length > 0) this.keep(buf);
          return false;
        case Phase.Done:
          if (buf.length > 0) this.extra = true;
          return true;
      }
    }
  }

  /** The connection ended: completes a body read to the end; throws when the message is incomplete. */
  end(): void {
    if (this.phase === Phase.UntilClose) this.phase = Phase.Done;
    if (this.phase !== Phase.Done) throw new Http1Error(this.phase === Phase.Head && this.headBytes === 0 && this.pending === null ? 'socket hang up' : 'connection closed before the response was complete', 'ECONNRESET');
    this.keepAlive = false;
  }

  response(): Http1Response {
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    return { status: this.status, statusText: this.statusText, rawHeaders: this.rawHeaders, body };
  }

  private keep(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  /** A response head (without its final CRLFCRLF): the status, the headers, and how the body is framed. */
  private head(text: string): void {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]);
    if (!m) throw bad(`bad status line ${JSON.stringify(lines[0].slice(0, 60))}`);
    const status = Number(m[2]);
    const raw: string[] = [];
    let length: string | null = null;
    let chunked = false;
    let coded = false;
    let close = false;
    let keepAlive = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw bad(`bad header line ${JSON.stringify(line.slice(0, 60))}`);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      raw.push(name, value);
      switch (name.toLowerCase()) {
        case 'content-length':
          if (!/^\d{1,15}$/.test(value) || (length !== null && length !== value)) throw bad(`bad content-length ${JSON.stringify(value)}`);
          length = value;
          break;
        case 'transfer-encoding': {
          const codings = value.toLowerCase().split(',');
          coded = true;
          chunked = codings[codings.length - 1].trim() === 'chunked';
          break;
        }
        case 'connection':
          for (const t of value.toLowerCase().split(',')) {
            if (t.trim() === 'close') close = true;
            else if (t.trim() === 'keep-alive') keepAlive = true;
          }
          break;
        case 'keep-alive': {
          const t = /(?:^|,)\s*timeout\s*=\s*(\d+)/i.exec(value);
          if (t) this.idleTimeoutMs = Number(t[1]) * 1000;
          break;
        }
      }
    }
    // 1xx: an interim response (100 Continue, 103 Early Hints); the final one follows. 101 would switch protocols.
    if (status >= 100 && status < 200) {
      if (status === 101) throw bad('unexpected 101 Switching Protocols');
      this.idleTimeoutMs = null;
      return;
    }
    this.status = status;
    this.statusText = m[3] ?? '';
    this.rawHeaders = raw;
    // Both framings named (or chunked in HTTP/1.0): a message that might be smuggled (RFC 9112 §6.1, §6.3);
    // transfer-encoding frames it, and the connection is not trusted with another.
    this.keepAlive = !close && (m[1] === '1' || keepAlive) && !(coded && (length !== null || m[1] === '0'));
    if (this.noBody || status === 204 || status === 304) this.phase = Phase.Done;
    else if (chunked) this.phase = Phase.ChunkSize;
    else if (coded) {
      // A coding other than chunked last: the body runs to the connection's end.
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    } else if (length !== null) {
      this.remaining = Number(length);
      this.phase = this.remaining === 0 ? Phase.Done : Phase.Length;
    } else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
  }
}

const bad = (what: string) => new Http1Error(`malformed HTTP response: ${what}`, 'HPE_INVALID');

interface Exchange {
  readonly parser: ResponseParser;
  /** The request asked for `connection: close`: the socket is not reused, whatever the reply says. */
  readonly close: boolean;
  /** It went out on a kept-alive connection from the pool (not one opened for it). */
  readonly reused: boolean;
  /** A byte of the reply has arrived. */
  answered: boolean;
  readonly resolve: (r: Http1Response) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * One socket and the exchange on it, if any. Its listeners are installed
 * once: an idle socket that closes leaves its pool, and one that sends
 * bytes unasked is closed.
 */
class Connection {
  exchange: Exchange | null = null;
  /** Until when it may be reused, once idle (the server's keep-alive bound, or DEFAULT_IDLE_MS). */
  reusableUntil = Infinity;
  private closed = false;

  constructor(
    readonly socket: Socket | TLSSocket,
    private readonly pool: Connection[],
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e: Error) => this.fail(e));
    // The server's end of the stream: no reply can follow, so the socket is done even before it closes.
    socket.on('end', () => this.onClose());
    socket.on('close', () => this.onClose());
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed && !this.socket.readableEnded && Date.now() < this.reusableUntil;
  }

  send(head: string, body: Buffer | null, exchange: Exchange): void {
    this.exchange = exchange;
    this.socket.ref();
    if (body === null || body.length === 0) this.socket.write(head, 'latin1');
    else {
      // One buffer, one write: cheaper than a corked pair (a writev and its bookkeeping).
      const bytes = Buffer.alloc(head.length + body.length);
      bytes.write(head, 0, 'latin1');
      body.copy(bytes, head.length);
      this.socket.write(bytes);
    }
  }

  /** Drop the socket (an abort, a fault): it carries nothing more. */
  destroy(): void {
    this.closed = true;
    this.exchange = null;
    this.socket.destroy();
    this.leavePool();
  }

  private onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (ex === null) {
      // Bytes nobody asked for: the connection is out of step.
      this.destroy();
      return;
    }
    ex.answered = true;
    let done: boolean;
    try {
      done = ex.parser.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (done) this.complete(ex);
  }

  private complete(ex: Exchange): void {
    this.exchange = null;
    const reply = ex.parser.response();
    // Not reused when the reply came before the request was all written (an early refusal), either.
    if (ex.parser.reusable && !ex.close && !this.closed && this.socket.writableLength === 0 && this.pool.length < MAX_IDLE) {
      const idle = ex.parser.idleTimeoutMs;
      this.reusableUntil = Date.now() + (idle === null ? DEFAULT_IDLE_MS : idle - KEEP_ALIVE_MARGIN_MS);
      this.socket.unref();
      this.pool.push(this);
    } else this.destroy();
    ex.resolve(reply);
  }

  private onClose(): void {
    this.closed = true;
    this.leavePool();
    const ex = this.exchange;
    if (ex === null) return;
    try {
      ex.parser.end();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.complete(ex);
  }

  private fail(e: Error): void {
    const ex = this.exchange;
    this.destroy();
    if (ex === null) return;
    // A pooled connection that ends before any byte of the reply: the server closed it as idle while the request went out.
    if (ex.reused && !ex.answered) {
      // The server is closing idle connections: the pool's others to it are no better, and the caller's next try opens a new one.
      for (const idle of [...this.pool]) idle.destroy();
      const code = (e as { code?: unknown }).code;
      ex.reject(new Http1Error(`${e.message} (a kept-alive connection, closed by the server before any byte of the reply)`, typeof code === 'string' ? code : 'ECONNRESET', true));
    } else ex.reject(e);
  }

  private leavePool(): void {
    const i = this.pool.indexOf(this);
    if (i >= 0) this.pool.splice(i, 1);
  }
}

/** Idle connections per origin, most recently used last. */
const POOLS = new Map<string, Connection[]>();
/** The last TLS session per origin, to resume instead of a full handshake. */
const SESSIONS = new Map<string, Buffer>();

function poolOf(key: string): Connection[] {
  let pool = POOLS.get(key);
  if (!pool) POOLS.set(key, (pool = []));
  return pool;
}

function open(origin: Origin, key: string, pool: Connection[]): Connection {
  if (!origin.https) return new Connection(netConnect({ host: origin.hostname, port: origin.port }), pool);
  const socket = tlsConnect({
    host: origin.hostname,
    port: origin.port,
    servername: isIP(origin.hostname) === 0 ? origin.hostname : undefined,
    ALPNProtocols: ['http/1.1'],
    session: SESSIONS.get(key),
  });
  socket.on('session', (session: Buffer) => SESSIONS.set(key, session));
  return new Connection(socket, pool);
}

/** The pool and TLS session key: the scheme spelled out, so `http://sx` and `https://x` on one port never share sockets. */
export function originKey(origin: Origin): string {
  return `${origin.https ? 'https' : 'http'}://${origin.hostname}:${origin.port}`;
}

/** Request headers that this client writes itself (framing and the connection are its business). */
const OWN = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * One request. `headers` (a `Headers`: valid names and values by
 * construction) are written as its iteration gives them, except
 * `content-length`, `transfer-encoding` and `connection`, which this client
 * sets (a caller's `connection: close` is sent and the socket then closed);
 * a `host` header replaces the origin's. A method that is not a token is
 * refused. Rejects with the socket's error, an `Http1Error`, or `abort()`'s
 * result when `signal` fires (the socket is then closed).
 */
export function http1Request(origin: Origin, method: string, path: string, headers: Headers, body: Buffer | null, signal: AbortSignal | null, abort: () => unknown): Promise<Http1Response> {
  return new Promise<Http1Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abort());
    // The method is written as it is: a CR, LF or space in it would split the request (node:http refuses it too).
    if (!TOKEN.test(method)) return reject(new Http1Error(`invalid HTTP method ${JSON.stringify(method.slice(0, 40))}`, 'ERR_INVALID_HTTP_TOKEN'));
    let lines = '';
    let host = false;
    let close = false;
    headers.forEach((value, name) => {
      if (name === 'host') host = true;
      // The caller's `connection: close` is honoured, as node:http does: sent, and the socket not reused.
      else if (name === 'connection' && /(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
      if (!OWN.has(name)) lines += `${name}: ${value}\r\n`;
    });
    let head = `${method} ${path} HTTP/1.1\r\n${host ? '' : `host: ${origin.host}\r\n`}${lines}${close ? 'connection: close\r\n' : ''}`;
    if (body !== null || (method !== 'GET' && method !== 'HEAD')) head += `content-length: ${body === null ? 0 : body.length}\r\n`;
    head += '\r\n';
    const key = originKey(origin);
    const pool = poolOf(key);
    let conn: Connection | undefined;
    while ((conn = pool.pop()) !== undefined && !conn.usable) conn.destroy();
    const reused = conn !== undefined;
    conn ??= open(origin, key, pool);
    const c = conn;
    const onAbort = () => {
      c.destroy();
      reject(abort());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    c.send(head, body, {
      parser: new ResponseParser(method === 'HEAD'),
      close,
      reused,
      answered: false,
      resolve: (r) => {
        settle();
        resolve(r);
      },
      reject: (e) => {
        settle();
        reject(e);
      },
    });
  });
}

/** Close every idle socket (tests; a process exits with them anyway, as they are unref'd). */
export function closeIdleConnections(): void {
  for (const pool of POOLS.values()) for (const c of [...pool]) c.destroy();
}
