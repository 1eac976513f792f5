/**
 * Faults for the test Messages server (server.ts), chosen per request from a
 * seeded stream: a fraction `rate` of requests gets one fault kind, drawn
 * uniformly from `kinds`. Used by the soak test and `npm run bench` (soak).
 *
 * - `429`, `529` (with `retry-after-ms`), `500`, `503`: an error status; not billed.
 * - `drop`: status 200 and part of the body, then the connection is cut.
 * - `truncate`: status 200 with a cut body (not JSON).
 * - `delay`: the right reply after `delayMs` (2–5 s by default; tests pass shorter).
 * - `bad-tool-input`: a message whose tool input violates the schema (an extra field).
 *
 * With `unauthorized` every request is refused with 401, as for a revoked key.
 * The counts say what the server did, so a test can hold the client's ledger
 * against them: `paid` is every reply the server generated (status 200,
 * whether or not the client could read it).
 */
import { createRng } from '../../src/core/index.js';
import { apiError, type Handler, type Reply } from './server.js';

export const FAULT_KINDS = ['429', '529', '500', '503', 'drop', 'truncate', 'delay', 'bad-tool-input'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultPlan {
  readonly seed: number | string;
  /** Fraction of requests that get a fault. */
  readonly rate: number;
  readonly kinds?: readonly FaultKind[];
  /** [min, max] of a `delay` fault, in ms. */
  readonly delayMs?: readonly [number, number];
  /** `retry-after-ms` sent with 429 and 529. */
  readonly retryAfterMs?: number;
  readonly unauthorized?: boolean;
}

export interface FaultCounts {
  requests: number;
  /** Replies generated with status 200 (read or not by the client): what the server bills. */
  paid: number;
  /** Of those, replies the client could read: complete, well-formed bodies. */
  delivered: number;
  /** Error statuses (not billed). */
  refused: number;
  byKind: Record<FaultKind | 'none' | '401', number>;
}

export function faultyHandler(base: Handler, plan: FaultPlan): { handler: Handler; counts: FaultCounts } {
  const kinds = plan.kinds ?? FAULT_KINDS;
  const [lo, hi] = plan.delayMs ?? [2000, 5000];
  const retryAfter = String(plan.retryAfterMs ?? 50);
  const counts: FaultCounts = { requests: 0, paid: 0, delivered: 0, refused: 0, byKind: Object.fromEntries([...FAULT_KINDS, 'none', '401'].map((k) => [k, 0])) as FaultCounts['byKind'] };
  const handler: Handler = async (req) => {
    counts.requests++;
    if (plan.unauthorized) {
      counts.byKind['401']++;
      counts.refused++;
      return { status: 401, json: apiError('authentication_error', 'invalid x-api-key') };
    }
    // One stream per arrival number: the same seed gives the same fault sequence.
    const rng = createRng(`${plan.seed}:${req.n}`);
    const kind: FaultKind | 'none' = rng.next() < plan.rate ? kinds[Math.floor(rng.next() * kinds.length)] : 'none';
    counts.byKind[kind]++;
    const ok = await base(req);
    const error = (status: number, type: string, headers?: Record<string, string>): Reply => {
      counts.refused++;
      return { status, headers, json: apiError(type, `injected ${status}`) };
    };
    switch (kind) {
      case '429':
        return error(429, 'rate_limit_error', { 'retry-after-ms': retryAfter });
      case '529':
        return error(529, 'overloaded_error', { 'retry-after-ms': retryAfter });
      case '500':
        return error(500, 'api_error');
      case '503':
        return error(503, 'api_error');
      case 'drop': {
        counts.paid++;
        const size = Buffer.byteLength(JSON.stringify(ok.json ?? {}));
        return { ...ok, dropAt: Math.floor(size * (0.2 + 0.6 * rng.next())) };
      }
      case 'truncate': {
        counts.paid++;
        const size = Buffer.byteLength(JSON.stringify(ok.json ?? {}));
        return { ...ok, truncateAt: Math.floor(size * (0.2 + 0.6 * rng.next())) };
      }
      case 'delay':
        counts.paid++;
        counts.delivered++;
        return { ...ok, delayMs: lo + Math.floor((hi - lo) * rng.next()) };
      case 'bad-tool-input': {
        counts.paid++;
        counts.delivered++;
        return withExtraToolField(ok);
      }
      case 'none':
        counts.paid++;
        counts.delivered++;
        return ok;
    }
  };
  return { handler, counts };
}

/** The reply with `"why"` added to its tool input: valid JSON, a valid message, a schema-violating tool call. */
function withExtraToolField(reply: Reply): Reply {
  const json = structuredClone(reply.json) as { content?: { type: string; input?: Record<string, unknown> }[] };
  for (const block of json.content ?? []) if (block.type === 'tool_use') block.input = { ...(block.input ?? {}), why: 'injected' };
  return { ...reply, json };
}
