/**
 * Appends finished rollouts to a run directory. A rollout's step lines are
 * written before its rollout line, so after a crash at any moment a rollout
 * either has its line in rollouts.jsonl (and all its steps) or it does not
 * count; `recoverRun` removes the leftovers. Writes are synchronous so
 * concurrent rollouts never interleave inside a line.
 */
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FILES } from './records.js';

/** Chunk size at which a rollout's buffered steps are flushed early (long rollouts). */
const FLUSH_BYTES = 1 << 20;

export class RunWriter {
  private readonly stepsFd: number;
  private readonly rolloutsFd: number;
  constructor(readonly dir: string) {
    this.stepsFd = openSync(join(dir, FILES.steps), 'a');
    this.rolloutsFd = openSync(join(dir, FILES.rollouts), 'a');
  }

  /** A buffer for one rollout's step lines. */
  stepBuffer(): StepBuffer {
    return new StepBuffer(this.stepsFd);
  }

  /** Flush the rollout's remaining steps, then its rollout line: the commit point. */
  commit(steps: StepBuffer, rolloutLine: string): void {
    steps.flush();
    writeSync(this.rolloutsFd, rolloutLine.endsWith('\n') ? rolloutLine : rolloutLine + '\n');
  }

  close(): void {
    closeSync(this.stepsFd);
    closeSync(this.rolloutsFd);
  }
}

export class StepBuffer {
  private chunk = '';
  constructor(private readonly fd: number) {}
  step(line: string): void {
    this.chunk += line;
    if (this.chunk.length >= FLUSH_BYTES) this.flush();
  }
  flush(): void {
    if (this.chunk.length > 0) {
      writeSync(this.fd, this.chunk);
      this.chunk = '';
    }
  }
  /** Drop what has not been written (an aborted rollout). */
  discard(): void {
    this.chunk = '';
  }
}

/** Write a JSON file atomically: a reader never sees half a manifest. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}
