/**
 * Test helpers for the importers: temp dirs, reading a run directory back,
 * and independent reference computations (pass^k, survival) written from
 * the metrics spec, not from the analysis code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { canonicalJson } from '../../src/core/index.js';
import { hotmess } from '../helpers/cli.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const TAU_FILE = resolve(REPO, '../shared/data/tau-bench/gpt-4o-airline.json');
export const HAVE_TAU = existsSync(TAU_FILE);

const made: string[] = [];

/** A fresh temp dir, removed by `cleanup()`. */
export function tempDir(prefix = 'hotmess-import-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function readJsonlFile<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

export interface RunFiles {
  manifest: Record<string, any>;
  rollouts: Array<Record<string, any>>;
  steps: Array<Record<string, any>>;
}

export function readRun(dir: string): RunFiles {
  return {
    manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')),
    rollouts: readJsonlFile(join(dir, 'rollouts.jsonl')),
    steps: readJsonlFile(join(dir, 'steps.jsonl')),
  };
}

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

/** pass^k per metrics spec C: mean over groups of C(c,k)/C(n,k). */
export function passK(rollouts: RunFiles['rollouts'], k: number): number {
  const groups = new Map<string, boolean[]>();
  for (const r of rollouts) {
    const key = `${r.agent}:${r.horizon}:${r.instance}`;
    groups.set(key, [...(groups.get(key) ?? []), r.outcome.success === true]);
  }
  let sum = 0;
  for (const g of groups.values()) sum += choose(g.filter(Boolean).length, k) / choose(g.length, k);
  return sum / groups.size;
}

/**
 * Survival S(t) per metrics spec A for one group: rollouts are classed by
 * their whole action prefix (END after a rollout ends); S = Σ m(m−1)/(N(N−1)).
 */
export function survival(steps: RunFiles['steps'], rolloutIds: readonly string[], t: number): number {
  const classes = new Map<string, number>();
  for (const id of rolloutIds) {
    const mine = steps.filter((s) => s.rollout === id).sort((a, b) => a.t - b.t);
    const prefix: string[] = [];
    for (let i = 1; i <= t; i++) prefix.push(mine[i - 1] ? canonicalJson(mine[i - 1].action) : 'END');
    const key = prefix.join('|');
    classes.set(key, (classes.get(key) ?? 0) + 1);
  }
  const N = rolloutIds.length;
  let pairs = 0;
  for (const m of classes.values()) pairs += m * (m - 1);
  return pairs / (N * (N - 1));
}

export type { CliResult } from '../helpers/cli.js';

/** Run the CLI in-process (`hotmess import …` as a user would, without the process start). */
export const runCli = (args: readonly string[]) => hotmess(...args);
