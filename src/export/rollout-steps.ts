/**
 * A run's steps, one rollout at a time, streamed from steps.jsonl: the
 * engine and the importers write each rollout's steps together, so only one
 * rollout is held at once. Steps of rollouts not in rollouts.jsonl
 * (uncommitted leftovers) are skipped; a torn last line is skipped as every
 * reader skips it. When a rollout's steps are not together in the file the
 * reader says so (NotContiguous) and the caller falls back to `allSteps`.
 */
import { HotmessError } from '../core/index.js';
import { readJsonl, textLines, type StepRecord } from '../log/index.js';

export class NotContiguous extends Error {}

/** Yields [rollout id, its steps in t order] for every rollout in `known`, those without steps last. */
export async function* streamRolloutSteps(file: string, known: ReadonlySet<string>): AsyncGenerator<[string, StepRecord[]]> {
  const done = new Set<string>();
  let current: string | null = null;
  let steps: StepRecord[] = [];
  let torn: number | null = null;
  for await (const { text, line } of textLines(file)) {
    if (text.length === 0) continue;
    if (torn !== null) throw new HotmessError('log', `${file}:${torn}: corrupt line (not JSON)`);
    let s: StepRecord;
    try {
      s = JSON.parse(text) as StepRecord;
    } catch {
      torn = line;
      continue;
    }
    if (!known.has(s.rollout)) continue;
    if (s.rollout !== current) {
      if (done.has(s.rollout)) throw new NotContiguous(s.rollout);
      if (current !== null) {
        done.add(current);
        yield [current, steps.sort((a, b) => a.t - b.t)];
      }
      current = s.rollout;
      steps = [];
    }
    steps.push(s);
  }
  if (current !== null) {
    done.add(current);
    yield [current, steps.sort((a, b) => a.t - b.t)];
  }
  for (const id of known) if (!done.has(id)) yield [id, []];
}

/** Every rollout's steps, held in memory: the fallback for a file whose rollouts interleave. */
export async function allSteps(file: string, known: ReadonlySet<string>): Promise<Map<string, StepRecord[]>> {
  const out = new Map<string, StepRecord[]>([...known].map((id) => [id, []]));
  await readJsonl(file, (rec) => {
    const s = rec as StepRecord;
    out.get(s.rollout)?.push(s);
  });
  for (const list of out.values()) list.sort((a, b) => a.t - b.t);
  return out;
}
