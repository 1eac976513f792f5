/**
 * An OpenAI-compatible Chat Completions server for tests and the benchmark,
 * on 127.0.0.1 (node:http). It checks `Authorization: Bearer`, records every
 * request, and answers with what the handler returns. Like real servers it
 * gives every reply a random request id, completion id and tool call ids,
 * so a client that echoed them would change its next prompt.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reply } from './server.js';

export interface ChatBody {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant' | 'tool'; content: string | null; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: 'function'; function: { name: string; description: string; parameters: any } }[];
  seed?: number;
  n?: number;
  logprobs?: boolean;
  top_logprobs?: number;
  [key: string]: unknown;
}

export interface ChatRequest {
  readonly n: number;
  readonly body: ChatBody;
  readonly headers: import('node:http').IncomingHttpHeaders;
}

export type ChatHandler = (req: ChatRequest) => Reply | Promise<Reply>;

export interface ChatServer {
  readonly url: string;
  readonly requests: ChatRequest[];
  handler: ChatHandler;
  close(): Promise<void>;
}

export async function startChatServer(apiKey: string | null, handler: ChatHandler, o: { keepAliveMs?: number } = {}): Promise<ChatServer> {
  const requests: ChatRequest[] = [];
  const state = { handler };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (apiKey !== null && req.headers.authorization !== `Bearer ${apiKey}`) return send(res, { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, { status: 404, json: { error: { message: `no route ${req.url}`, type: 'not_found' } } });
      const cr: ChatRequest = { n: requests.length + 1, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers };
      requests.push(cr);
      let reply: Reply;
      try {
        reply = await state.handler(cr);
      } catch (e) {
        reply = { status: 500, json: { error: { message: String(e), type: 'server_error' } } };
      }
      reply = { ...reply, headers: { 'x-request-id': `req-${randomBytes(6).toString('hex')}`, ...(reply.headers ?? {}) } };
      if (reply.delayMs) {
        const timer = setTimeout(() => send(res, reply), reply.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else send(res, reply);
    });
  });
  // How long an idle kept-alive connection stays open (node's default 5 s).
  if (o.keepAliveMs !== undefined) server.keepAliveTimeout = o.keepAliveMs;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: ChatHandler) {
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
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
  res.end(JSON.stringify(reply.json ?? {}));
}

export interface ChoiceSpec {
  /** The tool call's arguments as the model wrote them (a string, possibly malformed); undefined: no tool call. */
  readonly args?: string;
  readonly text?: string;
  /** Generated tokens with log-probabilities (sent when the request asks for logprobs). */
  readonly tokens?: { token: string; logprob: number; top_logprobs: { token: string; logprob: number }[] }[];
}

/** A chat completion with one choice per spec; random ids, as real servers give. */
export function completion(model: string, specs: readonly ChoiceSpec[], usage = { prompt_tokens: 900, completion_tokens: 30 }): Reply {
  return {
    status: 200,
    json: {
      id: `chatcmpl-${randomBytes(8).toString('hex')}`,
      object: 'chat.completion',
      created: 1_800_000_000,
      model,
      choices: specs.map((s, index) => ({
        index,
        message: {
          role: 'assistant',
          content: s.text ?? null,
          ...(s.args !== undefined ? { tool_calls: [{ id: `chatcmpl-tool-${randomBytes(8).toString('hex')}`, type: 'function', function: { name: 'act', arguments: s.args } }] } : {}),
        },
        logprobs: s.tokens ? { content: s.tokens.map((t) => ({ ...t, bytes: null })) } : null,
        finish_reason: s.args !== undefined ? 'tool_calls' : 'stop',
      })),
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** Tokens spelling `{"action": <value>}` as a tokenizer might, the value's first token with the given alternatives. */
export function argTokens(value: string, alternatives: { token: string; logprob: number }[]): NonNullable<ChoiceSpec['tokens']> {
  const quoted = value.startsWith('"');
  const inner = quoted ? value.slice(1, -1) : value;
  const t = (token: string, logprob = 0, top: { token: string; logprob: number }[] = []) => ({ token, logprob, top_logprobs: top });
  const chosen = alternatives.find((a) => a.token === inner[0]) ?? { token: inner[0], logprob: Math.log(0.5) };
  return [t('{"'), t('action'), t('":'), t(quoted ? ' "' : ' '), t(inner[0], chosen.logprob, alternatives), ...[...inner.slice(1)].map((c) => t(c, Math.log(0.9))), t(quoted ? '"}' : '}')];
}

/** The kv-sum answer a request asks for: the running sum shown plus the revealed keys' values from the instructions. */
export function chatKvAnswer(body: ChatBody): number {
  const system = body.messages[0].content ?? '';
  const dict = new Map<string, number>();
  for (const m of system.matchAll(/^([a-z]+): (-?\d+)$/gm)) dict.set(m[1], Number(m[2]));
  const obs = [...body.messages].reverse().find((m) => m.role === 'user' && /Step \d+\./.test(m.content ?? ''))!.content!;
  const sum = Number(/running sum so far: (-?\d+)/.exec(obs)![1]);
  const keys = /Keys: ([^.]*)\./.exec(obs)![1].split(', ').filter(Boolean);
  return keys.reduce((s, k) => s + dict.get(k)!, sum);
}

/** The kv-sum step asked about (from the newest observation). */
export function chatKvStep(body: ChatBody): number {
  const obs = [...body.messages].reverse().find((m) => m.role === 'user' && /Step \d+\./.test(m.content ?? ''))!.content!;
  return Number(/Step (\d+)\./.exec(obs)![1]);
}
