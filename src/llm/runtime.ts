/**
 * The run-scoped state model-backed agents share: the response cache, the
 * cost meter, the request limiter and the API clients. The caller of a run
 * creates one and hands it to the engine as a service
 * (`runScenario(s, {services: runtime.services()})`); an agent created
 * without one gets the process default: live calls, no disk cache.
 */
import { createHash } from 'node:crypto';
import { HotmessError, type AgentServices, type Json } from '../core/index.js';
import { readRolloutEntries, ResponseCache, type CacheLog } from './cache.js';
import { CostLedger } from './ledger.js';
import { sharedLimiter, type Limiter } from './limiter.js';
import { CostMeter } from './meter.js';
import { createMessagesCaller, type AnthropicConfig, type MessagesCaller } from './anthropic/client.js';
import { MessageBatcher, type BatcherOptions } from './anthropic/batcher.js';
import { createChatCaller, type ChatCaller, type OpenAIConfig } from './openai/client.js';

/** The key under which the runtime travels in `AgentContext.services`. */
export const LLM_SERVICE = 'llm';

/** A fault that dooms every further call of the run: refused credentials (code `agent`) or an unreachable server (`network`). */
export interface RunHalt {
  /** `log`: a response cache file that cannot be read (resuming would meet it again). */
  readonly code: 'agent' | 'network' | 'log';
  /** One line naming the agent and what to check; never the key. */
  readonly reason: string;
}

/**
 * A fork's source rollout, for the replies behind its replayed steps: each
 * step's logged request id picks the reply it used out of the source
 * rollout's cache. Read only.
 */
export interface PrefixSource {
  /** The source run's cache directory (`SRC/cache`). */
  readonly cacheDir: string;
  /** The source rollout's agent seed (names its cache file). */
  readonly agentSeed: string;
  /** K: the steps replayed. */
  readonly steps: number;
  /** Step t (1..K) → the request id of the reply the source rollout acted on, when logged. */
  readonly requestIds: ReadonlyMap<number, string>;
}

export interface LlmRuntimeOptions {
  /** Where this run's response cache lives (`RUN/cache`); null keeps nothing on disk. */
  readonly cacheDir?: string | null;
  /** The run directory, for the cost ledger (`RUN/cost.jsonl`, `RUN/cost.json`); null keeps no ledger. */
  readonly runDir?: string | null;
  /** Replay: read replies from this cache directory, make no calls, and fail on a miss. */
  readonly replayFrom?: string | null;
  /** Process-wide cap on requests in flight (default: none beyond the run's concurrency). */
  readonly maxRequests?: number;
  /** Fork: where the replayed steps' real replies are. */
  readonly prefixFrom?: PrefixSource | null;
  /** `run --batch`: Message Batches in lockstep for `anthropic` agents (see anthropic/batcher.ts). */
  readonly batch?: BatcherOptions | null;
  /** Price `anthropic` replies at the batch rate without batching (a replay of a batched run). */
  readonly batchPricing?: boolean;
  /** Where one-time notices go (a server that refuses `n`...); default: stderr. */
  readonly onNotice?: (line: string) => void;
  /**
   * A worker process's runtime draws on the run's: its limiters, its cost
   * meter and where its cache lines go stand in for this process's own
   * (see remote.ts). Default: this process's limiters, the run's ledger,
   * the run's cache files.
   */
  readonly limiters?: { readonly anthropic: Limiter; readonly openai: Limiter };
  readonly meter?: CostMeter;
  readonly openCacheLog?: (file: string) => CacheLog;
  /** A rollout's cache file's text (a queue worker has the run's cache lines from its job, not the file). */
  readonly readCacheFile?: (file: string) => string | null;
}

export class LlmRuntime {
  readonly cache: ResponseCache;
  readonly meter: CostMeter;
  /** The run's cost ledger (null: none kept, or a worker's runtime drawing on its host's). */
  readonly ledger: CostLedger | null;
  readonly limiter: Limiter;
  /** OpenAI-compatible servers have their own limits. */
  readonly openaiLimiter: Limiter;
  /** One-time notices given so far (each is given once per run). */
  readonly notices: string[] = [];
  /** What an OpenAI-compatible server at a base URL does with `n` > 1, once found out. */
  readonly nSupport = new Map<string, 'refused' | 'ignored'>();
  private readonly onNotice: (line: string) => void;
  /** Live Message Batches, in `run --batch`; null otherwise. */
  readonly batcher: MessageBatcher | null;
  /** Whether `anthropic` replies are priced at the batch rate. */
  readonly batchPricing: boolean;
  private readonly chatCallers = new Map<string, Promise<ChatCaller>>();
  /** Replay misses, one description each (a replay with any is a failed replay). */
  readonly misses: string[] = [];
  /** The first fatal fault, once one happened: no call is made after it, and the run stops. */
  halted: RunHalt | null = null;
  private readonly callers = new Map<string, Promise<MessagesCaller>>();
  private readonly prefixFrom: PrefixSource | null;
  private prefix: ReadonlyMap<number, Json> | null = null;

  constructor(opts: LlmRuntimeOptions = {}) {
    this.prefixFrom = opts.prefixFrom ?? null;
    this.cache = new ResponseCache(opts.cacheDir ?? null, opts.replayFrom ?? null, opts.openCacheLog, opts.readCacheFile);
    const ledger = opts.runDir && !opts.meter ? new CostLedger(opts.runDir) : null;
    this.ledger = ledger;
    this.meter = opts.meter ?? new CostMeter(ledger ?? undefined);
    if (opts.limiters) {
      this.limiter = opts.limiters.anthropic;
      this.openaiLimiter = opts.limiters.openai;
    } else {
      const anthropic = sharedLimiter('anthropic');
      const openai = sharedLimiter('openai');
      if (opts.maxRequests !== undefined) {
        anthropic.configure(opts.maxRequests);
        openai.configure(opts.maxRequests);
      }
      this.limiter = anthropic;
      this.openaiLimiter = openai;
    }
    this.batcher = opts.batch && !opts.replayFrom ? new MessageBatcher(opts.batch) : null;
    this.batchPricing = !!opts.batch || !!opts.batchPricing;
    this.onNotice = opts.onNotice ?? ((line) => process.stderr.write(`hotmess: ${line}\n`));
  }

  /** Say something once per run (e.g. that a server ignores `n`). */
  notice(line: string): void {
    if (this.notices.includes(line)) return;
    this.notices.push(line);
    this.onNotice(line);
  }

  /** A Chat Completions caller for these settings, created once (the SDK loads here, lazily). */
  openai(config: OpenAIConfig): Promise<ChatCaller> {
    if (this.replaying) return Promise.reject(new HotmessError('internal', 'replay: no API calls are made during a replay'));
    if (this.halted) return Promise.reject(new HotmessError(this.halted.code, this.halted.reason));
    const id = createHash('sha256').update(`${config.apiKey}\n${config.baseURL}\n${config.maxRetries}\n${config.timeoutMs}`).digest('hex');
    let caller = this.chatCallers.get(id);
    if (!caller) {
      caller = createChatCaller(config, this.openaiLimiter);
      caller.catch(() => this.chatCallers.delete(id));
      this.chatCallers.set(id, caller);
    }
    return caller;
  }

  get replaying(): boolean {
    return this.cache.replaying;
  }

  /** A Messages API caller for these settings, created once (the SDK loads here, lazily). */
  anthropic(config: AnthropicConfig): Promise<MessagesCaller> {
    if (this.replaying) return Promise.reject(new HotmessError('internal', 'replay: no API calls are made during a replay'));
    // Fail fast: rollouts still in flight when the run was halted would only meet the same fault.
    if (this.halted) return Promise.reject(new HotmessError(this.halted.code, this.halted.reason));
    const id = createHash('sha256').update(`${config.apiKey}\n${config.baseURL ?? ''}\n${config.maxRetries}\n${config.timeoutMs}\n${config.httpClient ?? 'node'}`).digest('hex');
    let caller = this.callers.get(id);
    if (!caller) {
      caller = createMessagesCaller(config, this.limiter);
      caller.catch(() => this.callers.delete(id));
      this.callers.set(id, caller);
    }
    return caller;
  }

  /**
   * Fork: the Messages API reply (its `message`) the source rollout acted on
   * at each replayed step t, for the steps its cache still holds. Read once.
   * Empty when this is not a fork.
   */
  prefixReplies(): ReadonlyMap<number, Json> {
    if (this.prefix) return this.prefix;
    const found = new Map<number, Json>();
    const src = this.prefixFrom;
    if (src && src.requestIds.size > 0) {
      const byId = new Map<string, Json>();
      for (const value of readRolloutEntries(src.cacheDir, src.agentSeed).values()) {
        const v = value as { requestId?: unknown; message?: Json } | null;
        if (v && typeof v.requestId === 'string' && v.message !== undefined) byId.set(v.requestId, v.message);
      }
      for (const [t, id] of src.requestIds) {
        const message = byId.get(id);
        if (message !== undefined && t >= 1 && t <= src.steps) found.set(t, message);
      }
    }
    this.prefix = found;
    return found;
  }

  /** Record a fatal fault; the first one wins. */
  halt(h: RunHalt): void {
    this.halted ??= h;
  }

  /** A replay found no cached reply for `what` (a replay with any miss fails). */
  miss(what: string): void {
    this.misses.push(what);
  }

  /** The services object to pass to the engine. */
  services(): AgentServices {
    return { [LLM_SERVICE]: this };
  }

  /** End this invocation on the run's cost ledger and rebuild `RUN/cost.json` from it (see ledger.ts). */
  writeCost(): void {
    this.ledger?.finish(this.meter.cacheHits);
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
