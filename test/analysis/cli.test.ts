/** The analyze and compare commands as a user runs them: exit codes, one-line errors, files written. */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

const require = createRequire(import.meta.url);
const TSX = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const hotmess = (...args: string[]) => spawnSync(process.execPath, [TSX, MAIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

const rollouts: FixtureRollout[] = [0, 1, 2].flatMap((instance) =>
  [0, 1, 2, 3].map((index) => ({ instance, index, actions: ['N', index % 2 ? 'E' : 'N'], outcome: { kind: 'squared' as const, value: index, target: 1 } })),
);

describe('hotmess analyze / compare', () => {
  it('writes analysis.json, prints the table, and --json prints the same document', () => {
    const dir = makeRun(rollouts);
    const table = hotmess('analyze', dir, '--bootstrap', '50');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/incoherence \[95% CI\]/);
    expect(existsSync(join(dir, 'analysis.json'))).toBe(true);
    expect(table.stderr).toMatch(/^hotmess: warning: N < 30/m);
    const json = hotmess('analyze', dir, '--json', '--bootstrap', '50');
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schema).toBe('hotmess.analysis/1');
    expect(doc.horizons[0].rollouts).toBe(12);
    const cmp = hotmess('compare', dir, dir, '--json', '--bootstrap', '50');
    expect(cmp.status).toBe(0);
    expect(JSON.parse(cmp.stdout).rows.every((r: { delta: number | null }) => r.delta === 0 || r.delta === null)).toBe(true);
  });

  it('fails bad input with one line naming the file and line, and a non-zero exit', () => {
    const missing = hotmess('analyze', '/nonexistent/run');
    expect(missing.status).toBe(4);
    expect(missing.stderr).toBe('hotmess: /nonexistent/run: not a run directory (does not exist)\n');
    const dir = makeRun(rollouts);
    writeFileSync(join(dir, 'rollouts.jsonl'), '{"rollout": 1}\n{}\n');
    const bad = hotmess('analyze', dir);
    expect(bad.status).toBe(4);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/rollouts\.jsonl:1: /);
    const usage = hotmess('analyze', dir, '--buckets', '0');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('hotmess: --buckets: expected an integer ≥ 1, got "0"\n');
  });

  it('refuses to compare runs of different environments with one line and exit code 2', () => {
    const a = makeRun(rollouts, { environment: { name: 'maze', outcomeKind: 'squared', hasFeatures: false } });
    const b = makeRun(rollouts, { environment: { name: 'kv-sum', outcomeKind: 'squared', hasFeatures: false } });
    const cmp = hotmess('compare', a, b, '--bootstrap', '10');
    expect(cmp.status).toBe(2);
    expect(cmp.stderr).toBe(`hotmess: cannot compare ${a} with ${b}: environment "maze" vs "kv-sum"; compare runs of the same environment and outcome kind\n`);
  });
});
