/** Test helpers for run directories: normalised content for determinism checks. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (prefix = 'hotmess-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Drop every `timing` key (at any depth): the only wall-clock data a log may hold. */
export function dropTiming(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropTiming);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'timing') out[k] = dropTiming(v);
    return out;
  }
  return value;
}

/** A JSONL file's lines without timing, sorted by (rollout, t): the determinism contract's view. */
export function normalisedLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const recs = lines.map((l) => JSON.parse(l) as { rollout: string; t?: number });
  recs.sort((a, b) => (a.rollout < b.rollout ? -1 : a.rollout > b.rollout ? 1 : (a.t ?? 0) - (b.t ?? 0)));
  return recs.map((r) => JSON.stringify(dropTiming(r)));
}

export function readJsonlFile<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/**
 * The CLI as a real process, the way `npm run hotmess` starts it: one node
 * process with tsx's loader (no tsx wrapper process in front, so signals
 * and kill -9 reach the CLI itself). Spawn it as `spawn(CLI[0], [...CLI.slice(1), ...args])`.
 */
export const CLI = [process.execPath, '--import', 'tsx', 'src/cli/main.ts'] as const;

/** A run's error rollouts as `<rollout>: <error>` (none where `rollouts.jsonl` is missing): asserted empty, a failure names each. */
export function errorRollouts(dir: string): string[] {
  const file = join(dir, 'rollouts.jsonl');
  if (!existsSync(file)) return [];
  return readJsonlFile<{ rollout: string; error?: string }>(file)
    .filter((l) => l.error !== undefined)
    .map((l) => `${l.rollout}: ${l.error}`);
}
