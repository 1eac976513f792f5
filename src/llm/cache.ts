/**
 * The response cache: model replies on disk, one JSONL file per rollout
 * under the run directory (`RUN/cache/<agent seed>.jsonl`, one
 * `{"key", "value"}` line per reply).
 *
 * Keys name the model, the full request, the rollout's agent seed and index,
 * the step and the attempt. The seed is unique to a rollout, so two rollouts
 * of a group never share an entry even when their requests are identical
 * (they are, at step 1): a shared entry would fake zero divergence. The step
 * and attempt keep a rollout that meets the same prompt twice from replaying
 * its first answer.
 *
 * A run writes its own cache as it goes, so a resumed run re-reads instead of
 * re-buying. A replay reads another run's cache, copies what it uses into its
 * own, and treats a miss as an error: it makes no calls.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, HotmessError, type Json } from '../core/index.js';
import { AppendLog } from './append-log.js';

export interface CacheKeyParts {
  readonly model: string;
  /** The request exactly as sent (canonicalised here). */
  readonly request: unknown;
  readonly agentSeed: string;
  readonly index: number;
  /** Step (1-based) and attempt within the step (0-based). */
  readonly t: number;
  readonly attempt: number;
}

export function cacheKey(p: CacheKeyParts): string {
  return cacheKeyOf({ ...p, requestJson: canonicalJson(p.request) });
}

/**
 * `cacheKey` for a request already in canonical JSON (`canonicalJson(request)`,
 * as a string or as its UTF-8 bytes):
 * an agent serialises each request once, for its key and for the bound on
 * its bill. The material is what `canonicalJson` gives for the whole key
 * object, its keys in sorted order, so keys stay what they always were.
 */
export function cacheKeyOf(p: Omit<CacheKeyParts, 'request'> & { readonly requestJson: string | Uint8Array }): string {
  // Hashed in three pieces rather than joined first: the request is most of the material.
  const head = `{"agentSeed":${canonicalJson(p.agentSeed)},"attempt":${canonicalJson(p.attempt)},"index":${canonicalJson(p.index)},"model":${canonicalJson(p.model)},"request":`;
  return createHash('sha256').update(head).update(p.requestJson).update(`,"t":${canonicalJson(p.t)}}`).digest('hex');
}

export class CacheMissError extends HotmessError {
  constructor(what: string) {
    super('log', `replay: no cached response for ${what}; the source run's cache does not hold this request`);
  }
}

/** Where a rollout's new cache lines go: its file, or (in a worker process) the process that writes the run. */
export interface CacheLog {
  /** Append one line (no newline). */
  append(line: string): void;
  close(): void;
}

export class ResponseCache {
  /**
   * @param dir where this run's entries are written (null: keep nothing on disk)
   * @param replayFrom another run's cache directory to replay from (read only)
   * @param openLog where a rollout's new lines go (default: appended to its file in `dir`)
   * @param read a rollout's cache file's text, null when it has none (default: the file, read here)
   */
  constructor(
    readonly dir: string | null,
    readonly replayFrom: string | null = null,
    private readonly openLog: (file: string) => CacheLog = (file) => new AppendLog(file),
    private readonly read: (file: string) => string | null = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : null),
  ) {}

  get replaying(): boolean {
    return this.replayFrom !== null;
  }

  /** The entries of one rollout; load once per rollout. */
  forRollout(agentSeed: string): RolloutCache {
    const file = this.dir ? rolloutFile(this.dir, agentSeed) : null;
    const source = this.replayFrom ? rolloutFile(this.replayFrom, agentSeed) : file;
    const entries = (f: string) => parseEntries(f, this.read(f));
    return new RolloutCache(source ? entries(source) : new Map(), file ? this.openLog(file) : null, this.replayFrom !== null, file && source !== file ? entries(file) : null);
  }
}

/** One rollout's cache file in `dir`, named by its agent seed. */
export function rolloutFile(dir: string, agentSeed: string): string {
  const name = /^[A-Za-z0-9_-]{1,128}$/.test(agentSeed) ? agentSeed : createHash('sha256').update(agentSeed).digest('hex');
  return join(dir, `${name}.jsonl`);
}

/** The replies one rollout cached in `dir` (another run's: read only), by key. */
export function readRolloutEntries(dir: string, agentSeed: string): Map<string, Json> {
  return load(rolloutFile(dir, agentSeed));
}

export class RolloutCache {
  constructor(
    private readonly entries: Map<string, Json>,
    private readonly log: CacheLog | null,
    readonly replaying: boolean,
    /** In a replay, what this run's own cache already holds (so hits are copied once). */
    private readonly own: Map<string, Json> | null,
  ) {}

  get(key: string): Json | undefined {
    const v = this.entries.get(key);
    if (v !== undefined && this.own && !this.own.has(key)) {
      this.own.set(key, v);
      this.append(key, v);
    }
    return v;
  }

  /** Store a reply. Callers validate it first: the cache only ever holds replies that can be used. */
  put(key: string, value: Json): void {
    if (this.replaying) throw new HotmessError('internal', 'replay: a response cache in replay mode cannot take new entries');
    this.entries.set(key, value);
    this.append(key, value);
  }

  /** Release the file; later entries reopen it. */
  close(): void {
    this.log?.close();
  }

  private append(key: string, value: Json): void {
    // One synchronous write per reply: a crash loses at most the reply in flight, and its torn line is cut on the next open.
    this.log?.append(JSON.stringify({ key, value }));
  }
}

/** A cache file with a bad line that is not a torn tail: its replies cannot be trusted, and resuming would meet it again. */
export class CorruptCacheError extends HotmessError {
  constructor(
    readonly file: string,
    readonly line: number,
    what: string,
  ) {
    super('log', `${file}:${line}: ${what}; this rollout's cached replies cannot be read: delete ${file} to buy them again with --resume (the rollout is re-run), or restore it from a copy to keep them`);
  }
}

function load(file: string): Map<string, Json> {
  return parseEntries(file, existsSync(file) ? readFileSync(file, 'utf8') : null);
}

function parseEntries(file: string, text: string | null): Map<string, Json> {
  const map = new Map<string, Json>();
  if (text === null) return map;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text.length === 0) continue;
    let entry: { key?: unknown; value?: unknown };
    try {
      entry = JSON.parse(text);
    } catch {
      // A torn last line (no newline after it) is what a crash mid-append leaves; anything else is corruption.
      if (i === lines.length - 1) continue;
      throw new CorruptCacheError(file, i + 1, 'corrupt cache line (not JSON)');
    }
    if (typeof entry.key !== 'string' || entry.value === undefined) throw new CorruptCacheError(file, i + 1, 'cache line without "key" and "value"');
    map.set(entry.key, entry.value as Json);
  }
  return map;
}
