/**
 * The run-scoped state model-backed agents share: the response cache, the
 * cost meter, the request limiter and the API clients. The caller of a run
 * creates one and hands it to the engine as a service
 * (`runScenario(s, {services: runtime.services()})`); an agent created
 * without one gets the process default: live calls, no disk cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError, type AgentServices, type Json } from '../core/index.js';
import { ResponseCache } from './cache.js';
import { sharedLimiter, type RequestLimiter } from './limiter.js';
import { CostMeter } from './meter.js';
import { createMessagesCaller, type AnthropicConfig, type MessagesCaller } from './anthropic/client.js';

/** The key under which the runtime travels in `AgentContext.services`. */
export const LLM_SERVICE = 'llm';

/** The run directory's cost file: paid calls and USD, summed over every invocation on the directory. */
export const COST_FILE = 'cost.json';

export interface LlmRuntimeOptions {
  /** Where this run's response cache lives (`RUN/cache`); null keeps nothing on disk. */
  readonly cacheDir?: string | null;
  /** Replay: read replies from this cache directory, make no calls, and fail on a miss. */
  readonly replayFrom?: string | null;
  /** Process-wide cap on requests in flight (default: none beyond the run's concurrency). */
  readonly maxRequests?: number;
}

export class LlmRuntime {
  readonly cache: ResponseCache;
  readonly meter = new CostMeter();
  readonly limiter: RequestLimiter;
  /** Replay misses, one description each (a replay with any is a failed replay). */
  readonly misses: string[] = [];
  private readonly callers = new Map<string, Promise<MessagesCaller>>();

  constructor(opts: LlmRuntimeOptions = {}) {
    this.cache = new ResponseCache(opts.cacheDir ?? null, opts.replayFrom ?? null);
    this.limiter = sharedLimiter('anthropic');
    if (opts.maxRequests !== undefined) this.limiter.configure(opts.maxRequests);
  }

  get replaying(): boolean {
    return this.cache.replaying;
  }

  /** A Messages API caller for these settings, created once (the SDK loads here, lazily). */
  anthropic(config: AnthropicConfig): Promise<MessagesCaller> {
    if (this.replaying) return Promise.reject(new HotmessError('internal', 'replay: no API calls are made during a replay'));
    const id = createHash('sha256').update(`${config.apiKey}\n${config.baseURL ?? ''}\n${config.maxRetries}\n${config.timeoutMs}\n${config.httpClient ?? 'node'}`).digest('hex');
    let caller = this.callers.get(id);
    if (!caller) {
      caller = createMessagesCaller(config, this.limiter);
      caller.catch(() => this.callers.delete(id));
      this.callers.set(id, caller);
    }
    return caller;
  }

  /** The services object to pass to the engine. */
  services(): AgentServices {
    return { [LLM_SERVICE]: this };
  }

  /** Add this invocation's paid calls to `RUN/cost.json` (created at the first reply, paid or cached). */
  writeCost(runDir: string): void {
    const path = join(runDir, COST_FILE);
    if (this.meter.paid.calls === 0 && this.meter.cacheHits === 0 && !existsSync(path)) return;
    const now = this.meter.toJson();
    let before: { [key: string]: Json } = {};
    if (existsSync(path)) {
      try {
        before = JSON.parse(readFileSync(path, 'utf8')) as { [key: string]: Json };
      } catch {
        throw new HotmessError('log', `${path}: corrupt cost file (not JSON)`);
      }
    }
    const prior = (before.total ?? {}) as { [key: string]: Json };
    const sum = (k: string) => (Number(prior[k] ?? 0) || 0) + (Number(now[k] ?? 0) || 0);
    const total: { [key: string]: Json } = {};
    for (const k of ['calls', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'unpricedCalls', 'cacheHits']) total[k] = sum(k);
    total.costUsd = Math.round(sum('costUsd') * 1e10) / 1e10;
    const invocations = Array.isArray(before.invocations) ? [...before.invocations] : [];
    invocations.push(now);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ note: 'paid model calls of every invocation on this run directory; cache hits are free', total, invocations }, null, 2) + '\n');
    renameSync(tmp, path);
  }
}

let processDefault: LlmRuntime | null = null;

/** The runtime an agent should use: the run's, else the process default. */
export function llmRuntimeOf(ctx: { readonly services?: AgentServices }): LlmRuntime {
  const s = ctx.services?.[LLM_SERVICE];
  if (s instanceof LlmRuntime) return s;
  processDefault ??= new LlmRuntime();
  return processDefault;
}

export function createLlmRuntime(opts: LlmRuntimeOptions = {}): LlmRuntime {
  return new LlmRuntime(opts);
}
