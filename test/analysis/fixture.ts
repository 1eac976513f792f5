/** Writes small run directories for tests, in the log format of src/log/records.ts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FixtureRollout {
  agent?: string;
  horizon?: number;
  instance?: number;
  index: number;
  termination?: 'terminated' | 'truncated' | 'error';
  /** Actions by step; the rollout's length is their count. */
  actions: string[];
  oracle?: string[];
  states?: string[];
  measures?: number[];
  targets?: number[];
  features?: number[][];
  outcome?: { kind: 'squared' | 'brier' | 'kl' | 'coverage'; value: number | number[]; target: number | number[]; success?: boolean };
}

export function rolloutIdOf(r: FixtureRollout): string {
  return `${r.agent ?? 'a'}:${r.horizon ?? 10}:${r.instance ?? 0}:${r.index}`;
}

const made: string[] = [];

/** Remove every run directory this module made (call from afterAll). */
export function removeRuns(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function makeRun(rollouts: FixtureRollout[], manifest: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-analysis-'));
  made.push(dir);
  const agents = [...new Set(rollouts.map((r) => r.agent ?? 'a'))].map((name) => ({ name, kind: 'noisy', params: { epsilon: 0.1 } }));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      schema: 'hotmess.run/1',
      status: 'finished',
      name: 'fixture',
      seed: 7,
      environment: { name: 'test', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: false },
      agents,
      horizons: [...new Set(rollouts.map((r) => r.horizon ?? 10))],
      ...manifest,
    }),
  );
  const rl: string[] = [];
  const sl: string[] = [];
  for (const r of rollouts) {
    const id = rolloutIdOf(r);
    r.actions.forEach((a, i) => {
      const step: Record<string, unknown> = { rollout: id, t: i + 1, action: a };
      if (r.oracle) step.oracle = r.oracle[i];
      step.state = r.states ? r.states[i] : `s${i}`;
      if (r.measures) step.measure = [r.measures[i]];
      if (r.targets) step.target = [r.targets[i]];
      if (r.features) step.features = r.features[i];
      step.timing = { ms: 0.1 };
      sl.push(JSON.stringify(step));
    });
    const termination = r.termination ?? 'truncated';
    const base = { rollout: id, agent: r.agent ?? 'a', horizon: r.horizon ?? 10, instance: r.instance ?? 0, index: r.index, length: r.actions.length };
    const outcome = r.outcome ?? { kind: 'squared', value: 0, target: 0, success: true };
    rl.push(JSON.stringify(termination === 'error' ? { ...base, termination, error: 'boom' } : { ...base, termination, outcome }));
  }
  writeFileSync(join(dir, 'rollouts.jsonl'), rl.join('\n') + '\n');
  writeFileSync(join(dir, 'steps.jsonl'), sl.join('\n') + (sl.length ? '\n' : ''));
  return dir;
}
