/**
 * A Message Batches server for tests and the benchmark, on 127.0.0.1:
 * create (POST /v1/messages/batches), retrieve (GET …/:id) and results
 * (GET …/:id/results, JSONL in shuffled order). It checks the key like the
 * API (`Authorization: Bearer` or `x-api-key`) and records every batch
 * created. A batch ends after `pollsToEnd` retrieves (0: ended at creation),
 * or stays in progress while `hold` is set. Each request's result comes from
 * the test's handler: a message, or errored / expired / canceled.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessagesBody } from './server.js';

export type ItemResult = { type: 'succeeded'; message: unknown } | { type: 'errored'; error?: { type: string; message: string } } | { type: 'expired' } | { type: 'canceled' };

export interface BatchItem {
  readonly customId: string;
  readonly params: MessagesBody;
}

export type BatchHandler = (item: BatchItem, batch: number) => ItemResult;

interface Batch {
  readonly id: string;
  readonly n: number;
  readonly items: BatchItem[];
  readonly createdAt: string;
  polls: number;
  results: Map<string, ItemResult> | null;
}

export interface BatchServer {
  readonly url: string;
  /** Every batch created, in order. */
  readonly batches: readonly { readonly id: string; readonly customIds: readonly string[] }[];
  readonly retrieves: number;
  handler: BatchHandler;
  pollsToEnd: number;
  /** While true, batches stay in progress whatever the polls. */
  hold: boolean;
  close(): Promise<void>;
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export async function startBatchServer(apiKey: string, handler: BatchHandler, opts: { pollsToEnd?: number; seed?: number } = {}): Promise<BatchServer> {
  const batches = new Map<string, Batch>();
  const created: { id: string; customIds: string[] }[] = [];
  const state = { handler, pollsToEnd: opts.pollsToEnd ?? 1, hold: false, retrieves: 0 };
  let shuffle = opts.seed ?? 7;
  let url = '';
  const finish = (b: Batch) => {
    if (b.results) return;
    b.results = new Map(b.items.map((it) => [it.customId, state.handler(it, b.n)]));
  };
  const view = (b: Batch) => {
    const ended = b.results !== null;
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (!ended) counts.processing = b.items.length;
    else for (const r of b.results!.values()) counts[r.type]++;
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : 'in_progress',
      request_counts: counts,
      ended_at: ended ? b.createdAt : null,
      created_at: b.createdAt,
      expires_at: b.createdAt,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: ended ? `${url}/v1/messages/batches/${b.id}/results` : null,
    };
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const auth = req.headers.authorization === `Bearer ${apiKey}` || req.headers['x-api-key'] === apiKey;
      if (!auth) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && path === '/v1/messages/batches') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { requests: { custom_id: string; params: MessagesBody }[] };
        const ids = body.requests.map((r) => r.custom_id);
        const bad = ids.find((id) => !CUSTOM_ID.test(id));
        if (bad !== undefined || new Set(ids).size !== ids.length) return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `bad or duplicate custom_id ${bad ?? ''}` } });
        const n = created.length + 1;
        const b: Batch = { id: `msgbatch_${String(n).padStart(6, '0')}`, n, items: body.requests.map((r) => ({ customId: r.custom_id, params: r.params })), createdAt: new Date().toISOString(), polls: 0, results: null };
        batches.set(b.id, b);
        created.push({ id: b.id, customIds: ids });
        if (state.pollsToEnd === 0 && !state.hold) finish(b);
        return json(res, 200, view(b));
      }
      const m = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(path);
      const b = m ? batches.get(m[1]) : undefined;
      if (req.method !== 'GET' || !b) return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } });
      if (!m![2]) {
        state.retrieves++;
        b.polls++;
        if (!state.hold && b.polls >= state.pollsToEnd) finish(b);
        return json(res, 200, view(b));
      }
      if (!b.results) return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'batch has not ended' } });
      // Results come in any order: a seeded shuffle.
      // An errored result carries an API error response, as the API sends it.
      const wire = (r: ItemResult) => (r.type === 'errored' ? { type: 'errored', error: { type: 'error', error: r.error ?? { type: 'api_error', message: 'Internal server error' } } } : r);
      const lines = [...b.results].map(([custom_id, result]) => JSON.stringify({ custom_id, result: wire(result) }));
      for (let i = lines.length - 1; i > 0; i--) {
        shuffle = (shuffle * 1103515245 + 12345) & 0x7fffffff;
        const j = shuffle % (i + 1);
        [lines[i], lines[j]] = [lines[j], lines[i]];
      }
      res.writeHead(200, { 'content-type': 'application/binary' });
      res.end(lines.join('\n') + '\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    batches: created,
    get retrieves() {
      return state.retrieves;
    },
    get handler() {
      return state.handler;
    },
    set handler(h) {
      state.handler = h;
    },
    get pollsToEnd() {
      return state.pollsToEnd;
    },
    set pollsToEnd(v) {
      state.pollsToEnd = v;
    },
    get hold() {
      return state.hold;
    },
    set hold(v) {
      state.hold = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_batch' });
  res.end(JSON.stringify(body));
}
