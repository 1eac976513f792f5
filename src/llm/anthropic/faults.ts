/**
 * What a failed Messages API call means for the run. Most faults are
 * transient (429, 529, timeouts, a reset connection, an unreadable body): they are retried
 * and a call that still fails ends its rollout in `error`, re-run on resume.
 * Two kinds doom every further call of the run, so they stop it at once:
 * refused credentials (401/403) and a server that cannot be reached at all
 * (connection refused, DNS failure) after the retries.
 */
import { errorLine, HotmessError } from '../../core/index.js';

export type ApiFault = 'auth' | 'unreachable' | 'transient';

/** Socket errors meaning "nothing answers at this address", as opposed to a dropped connection. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A failed call, its one-line message scrubbed of the API key. */
export class ApiCallError extends HotmessError {
  constructor(
    message: string,
    readonly fault: ApiFault,
    /** The HTTP status, when the server answered. */
    readonly status: number | null,
    /** The socket error code of an unreachable server (`ECONNREFUSED`...). */
    readonly errno: string | null,
    /** The API's error detail (`permission_error: ...`), when it sent one. */
    readonly detail: string | null,
    /** Where the call went, without credentials. */
    readonly baseURL: string,
  ) {
    super('network', message);
  }

  /** How long the server asked to wait before a retry (`retry-after-ms`, `retry-after`), when it said. */
  retryAfterMs: number | null = null;

  /**
   * The request went out on a kept-alive connection that the server closed
   * as idle before any byte of a reply (http1.ts): a race of the connection
   * pool's, not a fault of the server's; the session sends the request once
   * more on a new connection, whatever its retries.
   */
  closedIdle = false;

  /** Worth another attempt: no answer, an unreadable body, or a status the API documents as transient (408, 409, 429, 5xx). */
  get retryable(): boolean {
    if (this.fault === 'auth') return false;
    const s = this.status;
    return s === null || s === 200 || s === 408 || s === 409 || s === 429 || s >= 500;
  }

  /** The same fault, its message ending with how many attempts were made. */
  afterRetries(retries: number): ApiCallError {
    const e = new ApiCallError(`${this.message} after ${retries} retr${retries === 1 ? 'y' : 'ies'}`, this.fault, this.status, this.errno, this.detail, this.baseURL);
    e.retryAfterMs = this.retryAfterMs;
    return e;
  }
}

interface SdkError {
  name?: string;
  status?: number;
  requestID?: string | null;
  /** The error body: Anthropic nests `{error: {type, message}}`; OpenAI-compatible servers give `{type, message, code}`. */
  error?: { error?: { type?: string; message?: string }; type?: string; message?: string; code?: string | number | null };
}

/** Classify an SDK error; `scrub` removes the key from anything quoted from it. */
export function apiCallError(e: unknown, ctx: { baseURL: string; maxRetries: number | null; timeoutMs: number; scrub: (s: string) => string; provider?: string }): ApiCallError {
  const err = (e ?? {}) as SdkError;
  const who = ctx.provider ?? 'anthropic';
  // The openai SDK leaves `name` as "Error"; its classes carry the names.
  const name = err.name && err.name !== 'Error' ? err.name : (e as { constructor?: { name?: string } } | null)?.constructor?.name;
  // Null: the caller retries and says how often (ApiCallError.afterRetries).
  const tries = ctx.maxRetries === null ? '' : `after ${ctx.maxRetries} SDK retr${ctx.maxRetries === 1 ? 'y' : 'ies'}`;
  const baseURL = ctx.scrub(withoutCredentials(ctx.baseURL));
  const make = (message: string, fault: ApiFault, status: number | null = null, errno: string | null = null, detail: string | null = null) =>
    new ApiCallError(ctx.scrub(message), fault, status, errno, detail === null ? null : ctx.scrub(detail), baseURL);
  if (name === 'APIConnectionTimeoutError') return make(`${who}: request timed out (timeout ${ctx.timeoutMs} ms${tries ? `, ${tries}` : ''})`, 'transient');
  if (name === 'APIConnectionError') {
    const errno = socketCode(e);
    const idle = closedIdle(e);
    const made = make(`${who}: connection failed${tries ? ` ${tries}` : ''}: ${errorLine(e)}${errno ? ` (${errno})` : ''}${idle ? ' on a kept-alive connection the server closed before any byte of the reply' : ''}`, errno && UNREACHABLE.has(errno) ? 'unreachable' : 'transient', null, errno);
    made.closedIdle = idle;
    return made;
  }
  if (typeof err.status === 'number') {
    const d = err.error?.error ?? err.error;
    const kind = d?.type ?? (d && 'code' in d && d.code != null ? String(d.code) : undefined);
    const detail = kind ? `${kind}: ${d?.message ?? ''}`.trim() : null;
    const what = detail ?? errorLine(e).trim();
    const retried = tries && (err.status === 429 || err.status >= 500) ? ` ${tries}` : '';
    const fault: ApiFault = err.status === 401 || err.status === 403 ? 'auth' : 'transient';
    return make(`${who}: HTTP ${err.status} ${what}${err.requestID ? ` (request ${err.requestID})` : ''}${retried}`, fault, err.status, null, detail);
  }
  return make(`${who}: ${errorLine(e)}`, 'transient');
}

/**
 * Whether a failed attempt is sent once more at once, outside the retries:
 * the first time its kept-alive connection was closed by the server's idle
 * timer as it went out (no byte of a reply: in that race the server never
 * read it). With `maxRetries: 0` such a race would otherwise end the
 * rollout in `error`. A server that read the request and then dropped the
 * connection unanswered looks the same and gets it once more too: the failed
 * attempt stays on the ledger as `lost`, at its bound, and the resend is a
 * request of its own, so the spend is never undercounted.
 */
export function resendClosedIdle(e: ApiCallError, resent: number): boolean {
  return e.closedIdle && resent === 0;
}

/**
 * The one-line reason a fatal fault stops the run (null for a transient
 * one). It names the agent and what to check, never the key.
 */
export function fatalReason(e: ApiCallError, who: { agent: string; keyEnv: string; model: string; maxRetries: number; api?: string; baseEnv?: string }): string | null {
  if (e.fault === 'auth' && e.status === 401) return `authentication failed (HTTP 401) for agent "${who.agent}": check ${who.keyEnv}`;
  if (e.fault === 'auth') return `permission denied (HTTP ${e.status}) for agent "${who.agent}"${e.detail ? ` (${e.detail})` : ''}: check ${who.keyEnv} and its access to model "${who.model}"`;
  if (e.fault === 'unreachable') {
    const tries = `after ${who.maxRetries} retr${who.maxRetries === 1 ? 'y' : 'ies'}`;
    return `cannot reach the ${who.api ?? 'Messages API'} at ${e.baseURL} for agent "${who.agent}" (${e.errno} ${tries}): check the agent's baseURL, ${who.baseEnv ?? 'ANTHROPIC_BASE_URL'} and the network`;
  }
  return null;
}

/** Whether an error's cause chain holds the lean client's word that a kept-alive connection was closed before any reply (http1.ts). */
function closedIdle(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 6) return false;
  const o = e as { closedIdle?: unknown; cause?: unknown };
  return o.closedIdle === true || closedIdle(o.cause, depth + 1);
}

/** The first socket error code in an error's cause chain (fetch wraps it: TypeError → cause → {code}). */
function socketCode(e: unknown, depth = 0): string | null {
  if (!e || typeof e !== 'object' || depth > 6) return null;
  const o = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof o.code === 'string' && /^E[A-Z_]+$/.test(o.code)) return o.code;
  for (const inner of [o.cause, ...(Array.isArray(o.errors) ? o.errors : [])]) {
    const c = socketCode(inner, depth + 1);
    if (c) return c;
  }
  return null;
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}
