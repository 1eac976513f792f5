/** The analyze and compare commands as a user runs them (in-process): exit codes, one-line errors, files written. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hotmess } from '../helpers/cli.js';
import { makeRun, removeRuns, type FixtureRollout } from './fixture.js';

afterAll(removeRuns);

const rollouts: FixtureRollout[] = [0, 1, 2].flatMap((instance) =>
  [0, 1, 2, 3].map((index) => ({ instance, index, actions: ['N', index % 2 ? 'E' : 'N'], outcome: { kind: 'squared' as const, value: index, target: 1 } })),
);

describe('hotmess analyze / compare', async () => {
  it('writes analysis.json, prints the table, and --json prints the same document', async () => {
    const dir = makeRun(rollouts);
    const table = await hotmess('analyze', dir, '--bootstrap', '50');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/incoherence \[95% CI\]/);
    expect(existsSync(join(dir, 'analysis.json'))).toBe(true);
    expect(table.stderr).toMatch(/^hotmess: warning: N < 30/m);
    const json = await hotmess('analyze', dir, '--json', '--bootstrap', '50');
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schema).toBe('hotmess.analysis/1');
    expect(doc.horizons[0].rollouts).toBe(12);
    const cmp = await hotmess('compare', dir, dir, '--json', '--bootstrap', '50');
    expect(cmp.status).toBe(0);
    expect(JSON.parse(cmp.stdout).rows.every((r: { delta: number | null }) => r.delta === 0 || r.delta === null)).toBe(true);
  });

  it('fails bad input with one line naming the file and line, and a non-zero exit', async () => {
    const missing = await hotmess('analyze', '/nonexistent/run');
    expect(missing.status).toBe(4);
    expect(missing.stderr).toBe('hotmess: /nonexistent/run: not a run directory (does not exist)\n');
    const dir = makeRun(rollouts);
    writeFileSync(join(dir, 'rollouts.jsonl'), '{"rollout": 1}\n{}\n');
    const bad = await hotmess('analyze', dir);
    expect(bad.status).toBe(4);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/rollouts\.jsonl:1: /);
    const usage = await hotmess('analyze', dir, '--buckets', '0');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe('hotmess: --buckets: expected an integer ≥ 1, got "0"\n');
  });

  it('refuses to compare runs of different environments with one line and exit code 2', async () => {
    const a = makeRun(rollouts, { environment: { name: 'maze', outcomeKind: 'squared', hasFeatures: false } });
    const b = makeRun(rollouts, { environment: { name: 'kv-sum', outcomeKind: 'squared', hasFeatures: false } });
    const cmp = await hotmess('compare', a, b, '--bootstrap', '10');
    expect(cmp.status).toBe(2);
    expect(cmp.stderr).toBe(`hotmess: cannot compare ${a} with ${b}: environment "maze" vs "kv-sum"; compare runs of the same environment and outcome kind\n`);
  });
});
