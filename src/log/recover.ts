/**
 * Crash recovery for `run --resume`. After a kill -9 or a full disk at any
 * moment the run directory holds: whole rollout lines, perhaps one torn last
 * line, and step lines of rollouts that never committed. Recovery keeps
 * exactly the committed rollouts whose steps are all there (t = 1..length,
 * once each, in order), moves `error` rollouts and rollouts with missing
 * steps to retired.jsonl (they are re-run, never silently), and rewrites
 * rollouts.jsonl and steps.jsonl atomically without the leftovers. Lines are
 * parsed as JSON, never pattern-matched, and kept byte for byte. Idempotent:
 * running it twice changes nothing.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError, appendAll, tempPathFor, withOsErrors, writeAll, writeFileAtomic } from '../core/index.js';
import { readLines } from './reader.js';
import { FILES } from './records.js';

export interface Recovery {
  /** Rollout ids committed and kept (not `error`, all steps present). */
  readonly finished: ReadonlySet<string>;
  /** Rollouts that ended in `error` and were moved to retired.jsonl. */
  readonly retired: number;
  /** Committed rollouts whose step lines were incomplete (a full disk): retired and re-run. */
  readonly incomplete: number;
  /** Step lines dropped because their rollout never committed (or was retired). */
  readonly droppedSteps: number;
  readonly tornLines: number;
}

interface Committed {
  readonly text: string;
  readonly length: number;
  /** The next step number expected while reading steps.jsonl. */
  next: number;
  /** Steps out of order, repeated or beyond `length`. */
  broken: boolean;
}

/** The fields recovery needs from a rollout line, checked; a bad line names file and line. */
function rolloutFields(text: string, where: string): { rollout: string; termination: unknown; length: number } | 'torn' {
  let r: { rollout?: unknown; termination?: unknown; length?: unknown };
  try {
    r = JSON.parse(text);
  } catch {
    return 'torn';
  }
  if (typeof r !== 'object' || r === null || typeof r.rollout !== 'string' || r.rollout.length === 0) throw new HotmessError('log', `${where}: missing "rollout"`);
  if (r.termination !== 'error' && !(Number.isSafeInteger(r.length) && (r.length as number) >= 0))
    throw new HotmessError('log', `${where}: rollout "${r.rollout}": "length" must be a non-negative integer, got ${JSON.stringify(r.length)}`);
  return { rollout: r.rollout, termination: r.termination, length: r.length as number };
}

function stepFields(text: string): { rollout: string; t: number } | null {
  let s: { rollout?: unknown; t?: unknown };
  try {
    s = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof s === 'object' && s !== null && typeof s.rollout === 'string' && Number.isSafeInteger(s.t) ? { rollout: s.rollout, t: s.t as number } : null;
}

export async function recoverRun(dir: string): Promise<Recovery> {
  const rolloutsPath = join(dir, FILES.rollouts);
  const stepsPath = join(dir, FILES.steps);
  let torn = 0;
  const committed = new Map<string, Committed>();
  const retiredLines: string[] = [];
  if (existsSync(rolloutsPath)) {
    await readLines(rolloutsPath, (text, line, isLast) => {
      if (text.length === 0) return;
      const r = rolloutFields(text, `${rolloutsPath}:${line}`);
      if (r === 'torn') {
        if (isLast) return void torn++;
        throw new HotmessError('log', `${rolloutsPath}:${line}: corrupt line (not JSON)`);
      }
      if (r.termination === 'error') retiredLines.push(text);
      else if (!committed.has(r.rollout)) committed.set(r.rollout, { text, length: r.length, next: 1, broken: false });
    });
  }

  // Pass 1 over steps.jsonl: copy the committed rollouts' lines to a temp file, checking each rollout's steps run 1..length.
  let dropped = 0;
  let stepsTmp: string | null = null;
  if (existsSync(stepsPath)) {
    stepsTmp = tempPathFor(stepsPath);
    const tmp = stepsTmp;
    dropped += await filterLines(stepsPath, tmp, (text, isLast) => {
      const s = stepFields(text);
      if (s === null) {
        // A torn last line is counted as torn, not dropped. A corrupt line
        // elsewhere belongs to no committed rollout: the writer stops at its
        // first failed write, so a fragment is never followed by a commit.
        if (isLast) return torn++, 'skip';
        return false;
      }
      const c = committed.get(s.rollout);
      if (c === undefined) return false;
      if (s.t === c.next && s.t <= c.length) c.next++;
      else c.broken = true;
      return true;
    });
  }
  const incomplete = [...committed].filter(([, c]) => c.broken || c.next !== c.length + 1);
  for (const [id, c] of incomplete) {
    committed.delete(id);
    retiredLines.push(retiredAsIncomplete(c));
  }
  // Pass 2, only when some committed rollout lost steps: drop its lines too.
  if (stepsTmp !== null && incomplete.length > 0) {
    const again = `${stepsTmp}.2`;
    dropped += await filterLines(stepsTmp, again, (text) => committed.has(stepFields(text)?.rollout ?? ''));
    withOsErrors(stepsTmp, 'replace', () => renameSync(again, stepsTmp!));
  }

  // Retire before rewriting rollouts.jsonl, skipping lines already retired: a
  // crash between the steps neither loses nor duplicates a record. Then
  // rollouts.jsonl, then steps.jsonl: a crash between the two leaves step
  // lines of rollouts no longer committed, which the next recovery drops.
  try {
    appendRetired(join(dir, FILES.retired), retiredLines);
    const kept = [...committed.values()].map((c) => c.text);
    writeFileAtomic(rolloutsPath, kept.length > 0 ? kept.join('\n') + '\n' : '');
    if (stepsTmp !== null) withOsErrors(stepsPath, 'replace', () => renameSync(stepsTmp!, stepsPath));
  } finally {
    if (stepsTmp !== null) rmSync(stepsTmp, { force: true });
  }
  return { finished: new Set(committed.keys()), retired: retiredLines.length - incomplete.length, incomplete: incomplete.length, droppedSteps: dropped, tornLines: torn };
}

/** The rollout line, marked as retired because its steps were incomplete: re-run, but never silently dropped. */
function retiredAsIncomplete(c: Committed): string {
  const rec = JSON.parse(c.text) as Record<string, unknown>;
  const have = c.broken ? 'out of order or repeated' : `${c.next - 1} of ${c.length}`;
  return JSON.stringify({ ...rec, retired: `incomplete steps in steps.jsonl (${have}); re-run on resume` });
}

/** Copy the lines of `from` that `keep` accepts to `to` (created), byte for byte; returns the number dropped (`false`, not `'skip'`). */
async function filterLines(from: string, to: string, keep: (text: string, isLast: boolean) => boolean | 'skip'): Promise<number> {
  const fd = withOsErrors(to, 'create', () => openSync(to, 'w'));
  let dropped = 0;
  let pending = '';
  try {
    await readLines(from, (text, _line, isLast) => {
      if (text.length === 0) return;
      const k = keep(text, isLast);
      if (k !== true) {
        if (k === false) dropped++;
        return;
      }
      pending += text + '\n';
      if (pending.length >= 1 << 20) {
        writeAll(fd, pending, to);
        pending = '';
      }
    });
    if (pending.length > 0) writeAll(fd, pending, to);
  } catch (e) {
    closeSync(fd);
    rmSync(to, { force: true });
    throw e;
  }
  closeSync(fd);
  return dropped;
}

function appendRetired(path: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const already = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
  const fresh = lines.filter((l) => !already.has(l));
  if (fresh.length > 0) appendAll(path, fresh.join('\n') + '\n');
}
