/**
 * The lean HTTP/1.1 client under bufferedFetch: its response parser on
 * responses written by hand (whole, byte by byte and in random pieces), and
 * the client against real servers on 127.0.0.1: node:http, raw sockets that
 * answer what a test wants (garbage, a cut body, `connection: close`, a
 * close while idle), TLS with a certificate made by openssl, and a real
 * process that must exit with an idle keep-alive socket open.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseParser, Http1Error, originKey } from '../../src/llm/anthropic/http1.js';
import { bufferedFetch } from '../../src/llm/index.js';
import { createRng } from '../../src/core/index.js';

/** Feed `raw` to a parser in the pieces `cuts` makes; then the connection's end when `eof`. */
function parse(raw: string | Buffer, cuts: number[], opts: { head?: boolean; eof?: boolean } = {}) {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  const p = new ResponseParser(opts.head ?? false);
  let done = false;
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= at) continue;
    done = p.push(bytes.subarray(at, cut));
    at = cut;
  }
  if (opts.eof) {
    p.end();
    done = p.done;
  }
  return { done, parser: p, reply: done ? p.response() : null };
}

/** Every way of reading `raw` a test tries: whole, byte by byte, and 20 random splits. */
function splits(length: number): number[][] {
  const rng = createRng('http1-splits');
  const out: number[][] = [[], Array.from({ length }, (_, i) => i + 1)];
  for (let k = 0; k < 20; k++) out.push(Array.from({ length: 1 + Math.floor(rng.next() * 6) }, () => Math.floor(rng.next() * length)).sort((a, b) => a - b));
  return out;
}

describe('ResponseParser', () => {
  const cases: { name: string; raw: string; eof?: boolean; head?: boolean; status: number; statusText: string; headers: string[]; body: string; reusable: boolean }[] = [
    {
      name: 'content-length',
      raw: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nrequest-id: req_1\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}',
      status: 200,
      statusText: 'OK',
      headers: ['Content-Type', 'application/json', 'request-id', 'req_1', 'Content-Length', '11'],
      body: '{"a":"bcd"}',
      reusable: true,
    },
    {
      name: 'chunked, with an extension and trailers',
      raw: 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n',
      status: 201,
      statusText: 'Created',
      headers: ['Transfer-Encoding', 'chunked', 'set-cookie', 'a=1', 'set-cookie', 'b=2'],
      body: 'Wikipedia in\r\n\r\nchunks.',
      reusable: true,
    },
    {
      name: '100 Continue, then the reply',
      raw: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
      status: 200,
      statusText: 'OK',
      headers: ['content-length', '2'],
      body: 'ok',
      reusable: true,
    },
    { name: '204 without a body', raw: 'HTTP/1.1 204 No Content\r\ndate: x\r\n\r\n', status: 204, statusText: 'No Content', headers: ['date', 'x'], body: '', reusable: true },
    { name: 'a HEAD reply names a length it does not send', raw: 'HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n', head: true, status: 200, statusText: 'OK', headers: ['content-length', '99'], body: '', reusable: true },
    { name: 'no length: the body runs to the end', raw: 'HTTP/1.1 200 OK\r\n\r\nall of it', eof: true, status: 200, statusText: 'OK', headers: [], body: 'all of it', reusable: false },
    { name: 'connection: close', raw: 'HTTP/1.1 429 \r\nConnection: close\r\nretry-after-ms:   50  \r\ncontent-length: 0\r\n\r\n', status: 429, statusText: '', headers: ['Connection', 'close', 'retry-after-ms', '50', 'content-length', '0'], body: '', reusable: false },
    { name: 'HTTP/1.0 without keep-alive', raw: 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx', status: 200, statusText: 'OK', headers: ['content-length', '1'], body: 'x', reusable: false },
    { name: 'HTTP/1.0 with keep-alive', raw: 'HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\nx', status: 200, statusText: 'OK', headers: ['connection', 'keep-alive', 'content-length', '1'], body: 'x', reusable: true },
    { name: 'a status line without a reason', raw: 'HTTP/1.1 503\r\ncontent-length: 0\r\n\r\n', status: 503, statusText: '', headers: ['content-length', '0'], body: '', reusable: true },
    // RFC 9112 §6.3: transfer-encoding overrides content-length, and such a message (a smuggling attempt, or a broken proxy) ends the connection.
    {
      name: 'both content-length and chunked',
      raw: 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      status: 200,
      statusText: 'OK',
      headers: ['content-length', '3', 'transfer-encoding', 'chunked'],
      body: 'hello',
      reusable: false,
    },
    // RFC 9112 §6.1: transfer-encoding in an HTTP/1.0 message is faulty framing; the connection is closed after it.
    { name: 'chunked in HTTP/1.0 with keep-alive', raw: 'HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', status: 200, statusText: 'OK', headers: ['connection', 'keep-alive', 'transfer-encoding', 'chunked'], body: 'ok', reusable: false },
    { name: '103 Early Hints, then the reply', raw: 'HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', status: 200, statusText: 'OK', headers: ['content-length', '2'], body: 'ok', reusable: true },
  ];
  for (const c of cases) {
    it(`reads ${c.name} the same however the bytes arrive`, () => {
      for (const cuts of splits(c.raw.length)) {
        const { done, parser, reply } = parse(c.raw, cuts, { eof: c.eof, head: c.head });
        expect(done).toBe(true);
        expect({ status: reply!.status, statusText: reply!.statusText, headers: reply!.rawHeaders, body: reply!.body.toString('latin1') }).toEqual({ status: c.status, statusText: c.statusText, headers: c.headers, body: c.body });
        expect(parser.reusable).toBe(c.reusable);
      }
    });
  }

  it('keeps UTF-8 bodies byte for byte and reads the server\'s idle bound', () => {
    const body = Buffer.from('{"text":"héllo ✓"}');
    const raw = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
    for (const cuts of splits(raw.length)) {
      const { reply, parser } = parse(raw, cuts);
      expect(reply!.body.equals(body)).toBe(true);
      expect(parser.idleTimeoutMs).toBe(5000);
    }
  });

  it('says the connection is out of step when bytes follow the message', () => {
    const { done, parser } = parse('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxHTTP/1.1 200', []);
    expect(done).toBe(true);
    expect(parser.reusable).toBe(false);
  });

  const faults: [string, string | Buffer, RegExp][] = [
    ['garbage', 'hello there\r\n\r\n', /bad status line "hello there"/],
    ['HTTP/2 framing', 'HTTP/2 200\r\n\r\n', /bad status line/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnocolon\r\n\r\n', /bad header line "nocolon"/],
    ['a folded header line', 'HTTP/1.1 200 OK\r\na: b\r\n c\r\n\r\n', /bad header line/],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n', /bad header line/],
    ['two different content-lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nx', /bad content-length "2"/],
    ['a negative content-length', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', /bad content-length "-1"/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /bad chunk size "zz"/],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nxy\r\n', /chunk not followed by CRLF/],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /unexpected 101/],
    ['a head over 64 KiB', `HTTP/1.1 200 OK\r\n${'x-big: '.padEnd(70_000, 'y')}\r\n\r\n`, /response head over 64 KiB/],
  ];
  for (const [what, raw, message] of faults) {
    it(`refuses ${what}`, () => {
      for (const cuts of splits(Math.min(raw.length, 200)).slice(0, 5)) {
        let thrown: unknown = null;
        try {
          parse(raw, cuts);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(Http1Error);
        expect((thrown as Error).message).toMatch(message);
      }
    });
  }

  it('refuses a message the connection cut short, and says when nothing came at all', () => {
    for (const raw of ['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab', 'HTTP/1.1 200 O']) {
      expect(() => parse(raw, [], { eof: true })).toThrow(/connection closed before the response was complete/);
    }
    expect(() => parse('', [], { eof: true })).toThrow(/socket hang up/);
  });
});

/** A server on 127.0.0.1 whose every connection is handed to `onConnection`, which answers as the test wants. */
async function rawServer(onConnection: (socket: Socket, request: (cb: (head: string) => void) => void) => void): Promise<{ url: string; server: NetServer; connections: () => number; closed: (n: number) => Promise<void> }> {
  let connections = 0;
  let closed = 0;
  const waiters: (() => void)[] = [];
  const server = createNetServer((socket) => {
    connections++;
    // Closed on both sides: the client has seen the server's end too (it ends its own side when it does).
    socket.on('close', () => {
      closed++;
      for (const w of waiters.splice(0)) w();
    });
    let buf = '';
    const waiting: ((head: string) => void)[] = [];
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0 || waiting.length === 0) return;
        const head = buf.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        waiting.shift()!(head);
      }
    });
    socket.on('error', () => undefined);
    onConnection(socket, (cb) => waiting.push(cb));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const closedAtLeast = async (n: number): Promise<void> => {
    while (closed < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections, closed: closedAtLeast };
}

/** Answer every request on the socket with `reply(head, n)` (n counts this connection's requests from 1). */
function answerEach(reply: (head: string, n: number, socket: Socket) => void) {
  return (socket: Socket, request: (cb: (head: string) => void) => void) => {
    let n = 0;
    const next = () =>
      request((head) => {
        reply(head, ++n, socket);
        if (!socket.destroyed) next();
      });
    next();
  };
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('bufferedFetch over the lean client', () => {
  let server: Server;
  let url = '';
  let connections = 0;
  const ports = new Set<number>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      ports.add(req.socket.remotePort!);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // writeHead with headers, then end: node:http sends this chunked.
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${req.url}` });
        res.end(JSON.stringify({ path: req.url, method: req.method, body, host: req.headers.host, length: req.headers['content-length'] ?? null }));
      });
    });
    server.on('connection', () => connections++);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the request as node:http would and reuses one connection for calls one after another', async () => {
    const before = connections;
    ports.clear();
    for (let i = 0; i < 20; i++) {
      const res = await bufferedFetch(`${url}/v1/messages?i=${i}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: Buffer.from(`{"i":${i},"é":1}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get('request-id')).toBe(`req_/v1/messages?i=${i}`);
      expect(await res.json()).toEqual({ path: `/v1/messages?i=${i}`, method: 'POST', body: `{"i":${i},"é":1}`, host: url.slice('http://'.length), length: String(Buffer.byteLength(`{"i":${i},"é":1}`)) });
    }
    expect(connections - before).toBeLessThanOrEqual(1);
    expect(ports.size).toBe(1);
  });

  it('opens a connection per call in flight, then reuses them', async () => {
    ports.clear();
    const round = () => Promise.all(Array.from({ length: 8 }, (_, i) => bufferedFetch(`${url}/c${i}`, { method: 'POST', body: 'x' }).then((r) => r.json())));
    expect((await round()).map((r) => (r as { path: string }).path)).toEqual(Array.from({ length: 8 }, (_, i) => `/c${i}`));
    const first = new Set(ports);
    ports.clear();
    await round();
    // Every connection of the second round is one the first opened (at most 8, however the first round was scheduled).
    expect([...ports].every((p) => first.has(p))).toBe(true);
    expect(first.size).toBeLessThanOrEqual(8);
  });

  it('a connection the server closed while idle is not used again: the next call opens a new one', async () => {
    const s = await rawServer(
      answerEach((_head, _n, socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        setTimeout(() => socket.end(), 20);
      }),
    );
    servers.push(s.server);
    for (let i = 0; i < 3; i++) {
      expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'a' })).text()).toBe('ok');
      // However late the client's event loop runs, it has seen the server's end once both sides are closed.
      await s.closed(i + 1);
    }
    expect(s.connections()).toBe(3);
  });

  it('believes the server\'s keep-alive timeout (less a second) and leaves a connection after connection: close', async () => {
    const bound = await rawServer(answerEach((_h, _n, socket) => socket.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 1\r\n\r\na')));
    servers.push(bound.server);
    for (let i = 0; i < 3; i++) await (await bufferedFetch(`${bound.url}/`, { method: 'POST', body: 'a' })).text();
    expect(bound.connections()).toBe(3);
    const closing = await rawServer(answerEach((_h, n, socket) => socket.write(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\n${n}`)));
    servers.push(closing.server);
    for (let i = 0; i < 3; i++) expect(await (await bufferedFetch(`${closing.url}/`, { method: 'POST', body: 'a' })).text()).toBe('1');
    expect(closing.connections()).toBe(3);
  });

  it('a server answering garbage or cutting the body fails the call with TypeError("fetch failed") saying why', async () => {
    const garbage = await rawServer(answerEach((_h, _n, socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    servers.push(garbage.server);
    const e1 = await bufferedFetch(`${garbage.url}/`, { method: 'POST', body: 'a' }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(String((e1 as Error).cause)).toMatch(/malformed HTTP response: bad status line "SSH-2.0-OpenSSH_9.6"/);
    const cut = await rawServer(answerEach((_h, _n, socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"partial":')));
    servers.push(cut.server);
    const e2 = await bufferedFetch(`${cut.url}/`, { method: 'POST', body: 'a' }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(String((e2 as Error).cause)).toMatch(/connection closed before the response was complete/);
    const silent = await rawServer(answerEach((_h, _n, socket) => socket.destroy()));
    servers.push(silent.server);
    const e3 = await bufferedFetch(`${silent.url}/`, { method: 'POST', body: 'a' }).catch((e: unknown) => e);
    expect(String((e3 as Error).cause)).toMatch(/socket hang up|ECONNRESET/);
    // A connection opened for the call: not the idle-close race, so not marked for the agent's resend.
    expect((e3 as Error).cause).toMatchObject({ closedIdle: false });
  });

  it('an abort closes the connection and rejects with an AbortError; the next call is served', async () => {
    const slow = await rawServer((socket, request) => {
      answerEach((head, _n, s) => {
        if (head.startsWith('POST /slow')) return;
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nfine');
      })(socket, request);
    });
    servers.push(slow.server);
    const c = new AbortController();
    const pending = bufferedFetch(`${slow.url}/slow`, { method: 'POST', body: 'a', signal: c.signal });
    setTimeout(() => c.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The aborted call's connection is closed (the server sees it go), and the next call opens another.
    await slow.closed(1);
    expect(await (await bufferedFetch(`${slow.url}/ok`, { method: 'POST', body: 'a' })).text()).toBe('fine');
    expect(slow.connections()).toBe(2);
  });

  it('refuses a header value that would split the request', async () => {
    await expect(bufferedFetch(`${url}/x`, { method: 'POST', headers: { 'x-a': 'b\r\nx-injected: 1' } as Record<string, string>, body: 'a' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

describe('bufferedFetch over TLS', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotmess-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the certificate, and over an accepted one reuses the connection', async () => {
    const ports = new Set<number>();
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      ports.add(req.socket.remotePort!);
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ secure: true, host: req.headers.host })));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => (server.closeAllConnections(), server.close()) });
    const port = (server.address() as AddressInfo).port;
    // Self-signed: refused, as node:https refuses it.
    const refused = await bufferedFetch(`https://localhost:${port}/`, { method: 'POST', body: 'a' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(String((refused as Error).cause)).toMatch(/self[- ]signed/i);
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const warn = process.emitWarning;
    process.emitWarning = () => undefined;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      for (let i = 0; i < 5; i++) expect(await (await bufferedFetch(`https://localhost:${port}/`, { method: 'POST', body: 'a' })).json()).toEqual({ secure: true, host: `localhost:${port}` });
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      process.emitWarning = warn;
    }
    expect(ports.size).toBe(1);
  });
});

describe('idle keep-alive connections', () => {
  it('do not keep a process alive', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"ok":true}'));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => (server.closeAllConnections(), server.close()) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const script = `import { bufferedFetch } from ${JSON.stringify(join(process.cwd(), 'src/llm/anthropic/node-fetch.ts'))};
const r = await bufferedFetch(${JSON.stringify(url)}, { method: 'POST', body: 'a' });
process.stdout.write(await r.text());`;
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const status = await new Promise<number | null>((r) => child.once('close', r));
    expect(status).toBe(0);
    expect(out).toBe('{"ok":true}');
    // The server would hold the connection for a minute: the process ended on its own, with the socket idle.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

/** A review against RFC 9112 and how API servers and the proxies before them behave: framing, reuse, request writing. */
describe('bufferedFetch: framing, reuse and request writing', () => {
  it('a reply with both content-length and chunked is read by its chunks and its connection is not reused', async () => {
    const s = await rawServer(answerEach((_h, n, socket) => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nn=${n}\r\n0\r\n\r\n`)));
    servers.push(s.server);
    for (let i = 0; i < 3; i++) expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'a' })).text()).toBe('n=1');
    expect(s.connections()).toBe(3);
  });

  it('refuses a method that would split the request, before connecting', async () => {
    const s = await rawServer(answerEach((_h, _n, socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    servers.push(s.server);
    for (const method of ['GET / HTTP/1.1\r\nx-injected: 1\r\n\r\nPOST', 'PO ST', '']) {
      const e = await bufferedFetch(`${s.url}/`, { method, body: 'a' }).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
      expect(String((e as Error).cause)).toMatch(/invalid HTTP method/);
    }
    expect(s.connections()).toBe(0);
  });

  it("honours the caller's connection: close as node:http does: sent, and the connection not reused", async () => {
    const heads: string[] = [];
    const s = await rawServer(
      answerEach((head, _n, socket) => {
        heads.push(head.toLowerCase());
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }),
    );
    servers.push(s.server);
    for (let i = 0; i < 2; i++) expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', headers: { Connection: 'close' }, body: 'a' })).text()).toBe('ok');
    expect(heads.map((h) => h.match(/^connection: .*$/gm))).toEqual([['connection: close'], ['connection: close']]);
    expect(s.connections()).toBe(2);
    // Without it, one connection carries both (the header is the client's to write: a caller's keep-alive is not repeated).
    for (let i = 0; i < 2; i++) await (await bufferedFetch(`${s.url}/k`, { method: 'POST', headers: { connection: 'keep-alive' }, body: 'a' })).text();
    expect(s.connections()).toBe(3);
  });

  it('a kept-alive connection the server drops as the next request arrives fails that call, marked closedIdle (the agent sends it again), never retried silently', async () => {
    let requests = 0;
    const s = await rawServer(
      answerEach((_h, n, socket) => {
        requests++;
        // The classic race: the server's idle close crosses the reused socket's request.
        if (n === 2) socket.destroy();
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }),
    );
    servers.push(s.server);
    expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'a' })).text()).toBe('ok');
    const e = await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'b' }).catch((x: unknown) => x);
    // TypeError('fetch failed') is what the SDKs retry as a connection error.
    expect(e).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(String((e as Error).cause)).toMatch(/socket hang up|ECONNRESET/);
    // Pooled, and no byte of a reply: the mark the agent resends on (once, on a new connection; the ledger keeps the failed attempt).
    expect((e as Error).cause).toMatchObject({ closedIdle: true, code: 'ECONNRESET' });
    expect(requests).toBe(2);
    expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'c' })).text()).toBe('ok');
    expect(requests).toBe(3);
    expect(s.connections()).toBe(2);
  });

  it('reuses an idle connection at most 4 s when the server names no bound (uvicorn and llama.cpp close theirs at 5 s unsaid), its own bound when it names one', async () => {
    const quiet = await rawServer(answerEach((_h, _n, socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    const said = await rawServer(answerEach((_h, _n, socket) => socket.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=10\r\ncontent-length: 2\r\n\r\nok')));
    servers.push(quiet.server, said.server);
    // Only the clock is faked: the sockets and their events are real.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (const [s, conns] of [
        [quiet, [1, 1, 2]],
        [said, [1, 1, 1]],
      ] as const) {
        const got: number[] = [];
        for (const later of [0, 3500, 4500]) {
          vi.setSystemTime(Date.now() + later);
          expect(await (await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'a' })).text()).toBe('ok');
          got.push(s.connections());
        }
        expect(got).toEqual(conns);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('a reset after a complete reply, or bytes after a 204, close that idle connection quietly: the next call opens another', async () => {
    const reset = await rawServer(
      answerEach((_h, _n, socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        setTimeout(() => socket.resetAndDestroy(), 10);
      }),
    );
    // A 204 with a body it must not have (a broken proxy): read as empty, and the stray bytes end the connection rather than become the next reply.
    const stray = await rawServer(
      answerEach((_h, _n, socket) => {
        socket.write('HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n');
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nforge'), 10);
      }),
    );
    servers.push(reset.server, stray.server);
    for (const s of [reset, stray]) {
      for (let i = 0; i < 2; i++) {
        const r = await bufferedFetch(`${s.url}/`, { method: 'POST', body: 'a' });
        expect(await r.text()).toBe(s === reset ? 'ok' : '');
        await s.closed(i + 1);
        // The server's side closes at once on a reset: one turn of the event loop's poll lets the client read it.
        if (s === reset) await new Promise((r) => setTimeout(r, 20));
      }
      expect(s.connections()).toBe(2);
    }
  });

  it('HEAD reads no body and keeps the connection; large bodies and a non-ASCII path go through whole', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'é');
    const ports = new Set<number>();
    const server = createServer((req, res) => {
      ports.add(req.socket.remotePort!);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': '123' }).end();
        res.setHeader('x-path', req.url!);
        // Chunked, in pieces of many sizes.
        for (let at = 0; at < body.length; ) {
          const n = Math.min(body.length - at, 1 + ((at * 7919) % 65_000));
          res.write(body.subarray(at, at + n));
          at += n;
        }
        res.end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => (server.closeAllConnections(), server.close()) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const head = await bufferedFetch(`${url}/h`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '123', '']);
    const r = await bufferedFetch(`${url}/v1/é?q=ü`, { method: 'POST', body: big });
    expect(r.headers.get('x-path')).toBe('/v1/%C3%A9?q=%C3%BC');
    expect(Buffer.from(await r.arrayBuffer()).equals(big)).toBe(true);
    expect(ports.size).toBe(1);
  });

  it('an abort during the TLS handshake (a server that accepts and never answers) rejects with an AbortError and closes the socket', async () => {
    const mute = await rawServer(() => undefined);
    servers.push(mute.server);
    const c = new AbortController();
    const pending = bufferedFetch(mute.url.replace('http:', 'https:'), { method: 'POST', body: 'a', signal: c.signal });
    setTimeout(() => c.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await mute.closed(1);
    expect(mute.connections()).toBe(1);
  });

  it('reaches an IPv6 literal, with its brackets and port in the host header', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ host: req.headers.host, family: req.socket.remoteFamily })));
    });
    await new Promise<void>((r) => server.listen(0, '::1', r));
    servers.push({ close: () => (server.closeAllConnections(), server.close()) });
    const port = (server.address() as AddressInfo).port;
    expect(await (await bufferedFetch(`http://[::1]:${port}/`, { method: 'POST', body: 'a' })).json()).toEqual({ host: `[::1]:${port}`, family: 'IPv6' });
  });

  it('keeps plain and TLS origins apart in the pool and the TLS session cache, whatever their host names', () => {
    const plain = { https: false, hostname: 'sapi.example', port: 8443, host: 'sapi.example:8443' };
    const tls = { https: true, hostname: 'api.example', port: 8443, host: 'api.example:8443' };
    expect(originKey(plain)).not.toBe(originKey(tls));
    expect(originKey({ ...tls, hostname: '::1' })).not.toBe(originKey({ ...tls, hostname: '::1:8443', port: 1 }));
  });
});

describe('bufferedFetch over TLS with a trusted certificate', () => {
  it('sends SNI and checks the certificate names the host: trusted for localhost, refused for an address it does not name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotmess-tls-'));
    try {
      // Names localhost only: the chain is trusted (NODE_EXTRA_CA_CERTS), so only the host check can refuse it.
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const names: (string | false | null)[] = [];
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
        names.push((req.socket as import('node:tls').TLSSocket).servername);
        req.resume();
        req.on('end', () => res.end('secure'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push({ close: () => (server.closeAllConnections(), server.close()) });
      const port = (server.address() as AddressInfo).port;
      const script = `import { bufferedFetch } from ${JSON.stringify(join(process.cwd(), 'src/llm/anthropic/node-fetch.ts'))};
const out = [];
for (const host of ['localhost', '127.0.0.1']) {
  try { out.push(await (await bufferedFetch('https://' + host + ':${port}/', { method: 'POST', body: 'a' })).text()); }
  catch (e) { out.push(e.message + ': ' + (e.cause?.code ?? e.cause)); }
}
process.stdout.write(JSON.stringify(out));`;
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') };
      delete env.NODE_TLS_REJECT_UNAUTHORIZED;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      expect(await new Promise<number | null>((r) => child.once('close', r))).toBe(0);
      expect(JSON.parse(out)).toEqual(['secure', 'fetch failed: ERR_TLS_CERT_ALTNAME_INVALID']);
      expect(names).toEqual(['localhost']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
