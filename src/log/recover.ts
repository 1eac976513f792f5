/**
 * Crash recovery for `run --resume`. After a kill -9 at any moment the run
 * directory holds: whole rollout lines, perhaps one torn last line, and step
 * lines of rollouts that never committed. Recovery keeps exactly the
 * committed rollouts, moves `error` rollouts to retired.jsonl (they are
 * re-run, never silently), and rewrites steps.jsonl atomically without the
 * leftovers. Idempotent: running it twice changes nothing.
 */
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError } from '../core/index.js';
import { readLines } from './reader.js';
import { FILES } from './records.js';

export interface Recovery {
  /** Rollout ids committed and kept (not `error`). */
  readonly finished: ReadonlySet<string>;
  /** Rollouts that ended in `error` and were moved to retired.jsonl. */
  readonly retired: number;
  /** Step lines dropped because their rollout never committed. */
  readonly droppedSteps: number;
  readonly tornLines: number;
}

export async function recoverRun(dir: string): Promise<Recovery> {
  const rolloutsPath = join(dir, FILES.rollouts);
  const stepsPath = join(dir, FILES.steps);
  let torn = 0;
  const kept: string[] = [];
  const retiredLines: string[] = [];
  const finished = new Set<string>();
  if (existsSync(rolloutsPath)) {
    await readLines(rolloutsPath, (text, line, isLast) => {
      if (text.length === 0) return;
      let r: { rollout?: unknown; termination?: unknown };
      try {
        r = JSON.parse(text);
      } catch {
        if (isLast) return void torn++;
        throw new HotmessError('log', `${rolloutsPath}:${line}: corrupt line (not JSON)`);
      }
      if (typeof r.rollout !== 'string') throw new HotmessError('log', `${rolloutsPath}:${line}: missing "rollout"`);
      if (r.termination === 'error') retiredLines.push(text);
      else if (!finished.has(r.rollout)) {
        finished.add(r.rollout);
        kept.push(text);
      }
    });
  }
  // Retire before rewriting rollouts.jsonl, skipping lines already retired: a
  // crash between the two steps then neither loses nor duplicates a record.
  appendRetired(join(dir, FILES.retired), retiredLines);
  replaceFile(rolloutsPath, (fd) => {
    if (kept.length > 0) writeSync(fd, kept.join('\n') + '\n');
  });

  let dropped = 0;
  if (existsSync(stepsPath)) {
    const tmp = `${stepsPath}.tmp`;
    const fd = openSync(tmp, 'w');
    let pending = '';
    try {
      // Raw lines are copied byte for byte: recovery must not reformat the log.
      await readLines(stepsPath, (text, _line, isLast) => {
        if (text.length === 0) return;
        const m = ROLLOUT_FIELD.exec(text);
        let id: string | null = null;
        if (m) {
          try {
            id = JSON.parse(m[1]) as string;
          } catch {
            id = null;
          }
        }
        if (isLast && !isJson(text)) {
          torn++;
          return;
        }
        if (id === null || !finished.has(id)) {
          dropped++;
          return;
        }
        pending += text + '\n';
        if (pending.length >= 1 << 20) {
          writeSync(fd, pending);
          pending = '';
        }
      });
      if (pending.length > 0) writeSync(fd, pending);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, stepsPath);
  }
  return { finished, retired: retiredLines.length, droppedSteps: dropped, tornLines: torn };
}

/** Step lines start with the rollout id (the writer's field order). */
const ROLLOUT_FIELD = /^\{"rollout":("(?:[^"\\]|\\.)*")/;

function appendRetired(path: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const already = new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
  const fresh = lines.filter((l) => !already.has(l));
  if (fresh.length > 0) appendFileSync(path, fresh.join('\n') + '\n');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function replaceFile(path: string, write: (fd: number) => void): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    write(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
