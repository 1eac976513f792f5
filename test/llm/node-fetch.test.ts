/** The SDK's node:http transport: the fetch semantics the SDK relies on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { bufferedFetch, nodeFetch } from '../../src/llm/index.js';

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
      if (req.url === '/bom') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]));
      }
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

describe('bufferedFetch', () => {
  it('returns a standard Response whose body is read whole, once', async () => {
    const res = await bufferedFetch(`${url}/x`, { method: 'POST', headers: new Headers({ authorization: 'Bearer k' }), body: Buffer.from('{"b":2}') });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('request-id')).toBe('req_1');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.body).toBeNull();
    expect(res.bodyUsed).toBe(false);
    const copy = res.clone();
    expect(await res.json()).toEqual({ method: 'POST', body: '{"b":2}', auth: 'Bearer k' });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    expect(() => res.clone()).toThrow(TypeError);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe(JSON.stringify({ method: 'POST', body: '{"b":2}', auth: 'Bearer k' }));
  });

  it('answers blob() and bytes() with the reply as nodeFetch does, not the empty body the standard methods would read', async () => {
    const want = JSON.stringify({ method: 'POST', body: 'z', auth: null });
    const init = { method: 'POST', body: 'z' };
    const blob = await (await bufferedFetch(`${url}/x`, init)).blob();
    expect([await blob.text(), blob.type]).toEqual([want, (await (await nodeFetch(`${url}/x`, init)).blob()).type]);
    const once = await bufferedFetch(`${url}/x`, init);
    expect(new TextDecoder().decode(await (once as unknown as { bytes(): Promise<Uint8Array> }).bytes())).toBe(want);
    await expect(once.blob()).rejects.toThrow(TypeError);
  });

  it('decodes as the standard does (gzip, a byte order mark dropped) and reads a 204 as empty', async () => {
    expect(await (await bufferedFetch(`${url}/gzip`)).json()).toEqual({ zipped: true });
    const bom = await bufferedFetch(`${url}/bom`);
    expect(await bom.text()).toBe(await (await nodeFetch(`${url}/bom`)).text());
    expect(await (await bufferedFetch(`${url}/bom`)).text()).toBe('héllo');
    const empty = await bufferedFetch(`${url}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('rejects an abort with an AbortError and a dead host with TypeError("fetch failed")', async () => {
    const c = new AbortController();
    const pending = bufferedFetch(`${url}/slow`, { signal: c.signal });
    setTimeout(() => c.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(bufferedFetch('http://127.0.0.1:1/')).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
