/** The SDK's node:http transport: the fetch semantics the SDK relies on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { nodeFetch } from '../../src/llm/index.js';

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return res.end(gzipSync(JSON.stringify({ zipped: true })));
      }
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 5000);
      if (req.url === '/empty') {
        res.writeHead(204);
        return res.end();
      }
      res.writeHead(201, { 'content-type': 'application/json', 'request-id': 'req_1', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('nodeFetch', () => {
  it('sends method, headers and body, and returns a standard Response', async () => {
    const res = await nodeFetch(`${url}/x`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"a":1}' });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('request-id')).toBe('req_1');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer k' });
  });

  it('decodes a compressed body and has no body for 204', async () => {
    const res = await nodeFetch(`${url}/gzip`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ zipped: true });
    const empty = await nodeFetch(`${url}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('rejects an abort with an AbortError and a dead host with TypeError("fetch failed")', async () => {
    const c = new AbortController();
    const pending = nodeFetch(`${url}/slow`, { signal: c.signal });
    setTimeout(() => c.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(nodeFetch('http://127.0.0.1:1/')).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
