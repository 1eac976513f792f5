/**
 * A Messages API server for tests and the benchmark, on 127.0.0.1 (node:http).
 * It authenticates like the API (`Authorization: Bearer` or `x-api-key`),
 * records every request, and answers with what the test's handler returns:
 * well-formed messages with tool_use blocks, request ids and usage
 * (cache tokens included), or API errors with retry-after headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerRequest {
  /** 1-based arrival number. */
  readonly n: number;
  readonly body: MessagesBody;
  readonly headers: IncomingHttpHeaders;
  /** Milliseconds since the server started. */
  readonly at: number;
  /** The client's port (which process sent it: see test/helpers/peer.ts). */
  readonly remotePort?: number;
}

export interface MessagesBody {
  model: string;
  max_tokens: number;
  system?: { type: string; text: string; cache_control?: unknown }[];
  tools?: { name: string; description: string; input_schema: any }[];
  tool_choice?: unknown;
  messages: { role: 'user' | 'assistant'; content: any[] }[];
  [key: string]: unknown;
}

export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  /** Wait this long before answering (the request may be abandoned meanwhile). */
  readonly delayMs?: number;
  /** Send the body cut after this many bytes, as a complete reply (a truncated body on the status given). */
  readonly truncateAt?: number;
  /** Send the headers and this many bytes of the body, then destroy the connection (closed mid-body). */
  readonly dropAt?: number;
}

export type Handler = (req: ServerRequest) => Reply | Promise<Reply>;

export interface MessagesServer {
  readonly url: string;
  readonly requests: ServerRequest[];
  /** Requests refused for bad credentials. */
  readonly unauthorized: number;
  handler: Handler;
  close(): Promise<void>;
}

export async function startMessagesServer(apiKey: string, handler: Handler, o: { keepAliveMs?: number } = {}): Promise<MessagesServer> {
  const started = Date.now();
  const requests: ServerRequest[] = [];
  let unauthorized = 0;
  const state = { handler };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const auth = req.headers.authorization === `Bearer ${apiKey}` || req.headers['x-api-key'] === apiKey;
      if (!auth) {
        unauthorized++;
        return send(res, { status: 401, json: apiError('authentication_error', 'invalid x-api-key') });
      }
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) return send(res, { status: 404, json: apiError('not_found_error', `no route ${req.url}`) });
      const sr: ServerRequest = { n: requests.length + 1, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers, at: Date.now() - started, remotePort: req.socket.remotePort };
      requests.push(sr);
      let reply: Reply;
      try {
        reply = await state.handler(sr);
      } catch (e) {
        reply = { status: 500, json: apiError('api_error', String(e)) };
      }
      // Like the API, every reply (errors included) carries a request id.
      reply = { ...reply, headers: { 'request-id': `req_${String(sr.n).padStart(6, '0')}`, ...(reply.headers ?? {}) } };
      if (reply.delayMs) {
        const timer = setTimeout(() => send(res, reply), reply.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else send(res, reply);
    });
  });
  // How long an idle kept-alive connection stays open (node's default 5 s; its `keep-alive: timeout=N` header says so).
  if (o.keepAliveMs !== undefined) server.keepAliveTimeout = o.keepAliveMs;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get unauthorized() {
      return unauthorized;
    },
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: import('node:http').ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  const full = Buffer.from(JSON.stringify(reply.json ?? {}));
  if (reply.dropAt !== undefined) {
    // Promise the whole body, send part of it, then cut the connection.
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': String(full.length), ...(reply.headers ?? {}) });
    res.write(full.subarray(0, reply.dropAt), () => res.destroy());
    return;
  }
  const body = reply.truncateAt !== undefined ? full.subarray(0, reply.truncateAt) : full;
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
  res.end(body);
}

export const apiError = (type: string, message: string) => ({ type: 'error', error: { type, message } });

export interface UsageSpec {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export const DEFAULT_USAGE: Required<UsageSpec> = { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 2000, cache_creation_input_tokens: 500 };

/** A well-formed message answering request n, with an `act` tool call (or none when input is undefined). */
export function message(n: number, opts: { input?: unknown; text?: string; thinking?: string; usage?: UsageSpec; stopReason?: string; model?: string; toolName?: string } = {}) {
  const content: unknown[] = [];
  if (opts.thinking !== undefined) content.push({ type: 'thinking', thinking: opts.thinking, signature: `sig_${n}` });
  if (opts.text !== undefined) content.push({ type: 'text', text: opts.text, citations: null });
  if (opts.input !== undefined) content.push({ type: 'tool_use', id: `toolu_${String(n).padStart(6, '0')}`, name: opts.toolName ?? 'act', input: opts.input });
  const usage = { ...DEFAULT_USAGE, ...(opts.usage ?? {}) };
  return {
    status: 200,
    headers: { 'request-id': `req_${String(n).padStart(6, '0')}` },
    json: {
      id: `msg_${String(n).padStart(6, '0')}`,
      type: 'message',
      role: 'assistant',
      model: opts.model ?? 'claude-haiku-4-5',
      content,
      stop_reason: opts.stopReason ?? (opts.input !== undefined ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: { ...usage, cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 }, service_tier: 'standard' },
    },
  } satisfies Reply;
}

/** The text of the last user message (the current observation, or retry feedback). */
export function lastUserText(body: MessagesBody): string {
  const last = body.messages[body.messages.length - 1];
  const texts = last.content.filter((b: any) => b.type === 'text').map((b: any) => b.text);
  return texts.join('\n');
}

/** Tool results in the last user message. */
export function lastToolResults(body: MessagesBody): { tool_use_id: string; content: string; is_error?: boolean }[] {
  const last = body.messages[body.messages.length - 1];
  return last.content.filter((b: any) => b.type === 'tool_result');
}

/** Whether the request re-asks after an invalid tool call within a step. */
export const isRetry = (body: MessagesBody): boolean => lastToolResults(body).some((r) => r.is_error && String(r.content).startsWith('Invalid:')) || /^Your previous reply made no tool call\. Invalid:/.test(lastUserText(body));

/** The kv-sum step being asked (from the newest observation in the request). */
export function kvStep(body: MessagesBody): number {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m.role !== 'user') continue;
    for (const b of m.content) if (b.type === 'text') {
      const s = /Step (\d+)\./.exec(b.text);
      if (s) return Number(s[1]);
    }
  }
  throw new Error('no kv-sum observation in the request');
}

/** The right kv-sum answer: the running sum shown plus the revealed keys' values from the instructions. */
export function kvSumAnswer(body: MessagesBody): number {
  const dict = new Map<string, number>();
  for (const b of body.system ?? []) for (const m of b.text.matchAll(/^([a-z]+): (-?\d+)$/gm)) dict.set(m[1], Number(m[2]));
  let obs = '';
  for (let i = body.messages.length - 1; i >= 0 && !obs; i--) {
    const m = body.messages[i];
    if (m.role !== 'user') continue;
    for (const b of m.content) if (b.type === 'text' && /Step \d+\./.test(b.text)) obs = b.text;
  }
  const sum = Number(/running sum so far: (-?\d+)/.exec(obs)![1]);
  const keys = /Keys: ([^.]*)\./.exec(obs)![1].split(', ').filter(Boolean);
  return keys.reduce((s, k) => {
    if (!dict.has(k)) throw new Error(`unknown key ${k}`);
    return s + dict.get(k)!;
  }, sum);
}
