/**
 * `hotmess report` through the CLI (in-process) on a real run: the engine writes the
 * run, `report` finds no analysis.json, analyses it, and draws the report.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisDocumentSchema } from '../../src/analysis/index.js';
import { hotmess } from '../helpers/cli.js';
import { normalisedLines, tempDir } from '../helpers/run-dir.js';

describe('hotmess report RUN', async () => {
  const root = tempDir('hotmess-report-cli-');
  const run = join(root, 'run');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    const scenario = join(root, 'tiny.yaml');
    writeFileSync(
      scenario,
      [
        'name: tiny',
        'environment: kv-sum',
        'params: { dictSize: 16, keysPerStep: 2 }',
        'horizons: [3, 6]',
        'instances: 2',
        'rollouts: 4',
        'seed: 11',
        'agents:',
        '  - { name: noisy-20, kind: noisy, params: { epsilon: 0.2 } }',
        '  - { name: oracle, kind: oracle }',
        '',
      ].join('\n'),
    );
    const r = await hotmess('run', scenario, '--out', run);
    expect(r.status, r.stderr).toBe(0);
  });

  it('analyses a run that has no analysis.json, then writes the report and plots', async () => {
    expect(existsSync(join(run, 'analysis.json'))).toBe(false);
    const r = await hotmess('report', run);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('(was missing; analysed first)');
    expect(r.stdout).toContain(`report: ${join(run, 'report.md')}`);
    expect(r.stderr).not.toContain('internal error');

    const doc = AnalysisDocumentSchema.parse(JSON.parse(readFileSync(join(run, 'analysis.json'), 'utf8')));
    expect(doc.horizons.map((h) => `${h.agent}@${h.horizon}`).sort()).toEqual(['noisy-20@3', 'noisy-20@6', 'oracle@3', 'oracle@6']);

    const md = readFileSync(join(run, 'report.md'), 'utf8');
    expect(md).toContain('# hotmess report: tiny');
    expect(md).toContain('**Seed:** `11`');
    expect(md).toContain('| noisy-20 | noisy | `{"epsilon":0.2}` |');
    for (const id of ['survival', 'hazard', 'action-agreement', 'horizon-sweep', 'bias-variance', 'pass-k', 'task-accuracy']) {
      expect(md).toContain(`](plots/${id}.svg)`);
      expect(existsSync(join(run, 'plots', `${id}.svg`))).toBe(true);
      expect(existsSync(join(run, 'plots', `${id}.png`))).toBe(true);
    }
  });

  it('its reproduce section re-creates the same run', async () => {
    const md = readFileSync(join(run, 'report.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)\n```/.exec(md)?.[1];
    const cmd = /npm run -s hotmess -- run (\S+) --out (\S+)/.exec(md);
    expect(yaml).toBeDefined();
    expect(cmd?.[1]).toBe('tiny.yaml');
    expect(cmd?.[2]).toBe(`${run}-rerun`);
    const file = join(root, 'saved', cmd![1]);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, yaml!);
    const r = await hotmess('run', file, '--out', cmd![2]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['rollouts.jsonl', 'steps.jsonl']) expect(normalisedLines(join(cmd![2], f))).toEqual(normalisedLines(join(run, f)));
  });

  it('--json prints the written paths', async () => {
    const r = await hotmess('report', run, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { reportPath: string; analyzed: boolean; plots: { svg: string }[] };
    expect(out.analyzed).toBe(false);
    expect(out.reportPath).toBe(join(run, 'report.md'));
    for (const p of out.plots) expect(existsSync(p.svg)).toBe(true);
  });

  it('says on stderr when it replaces an out-of-date analysis.json (regression: a resumed run was reported from the old one)', async () => {
    const past = new Date(Date.UTC(2020, 0, 1));
    utimesSync(join(run, 'analysis.json'), past, past);
    const r = await hotmess('report', run);
    expect(r.status, r.stderr).toBe(0);
    // Said first, before the analysis's own warnings.
    expect(r.stderr.split('\n')[0]).toMatch(/^hotmess: .*\/analysis\.json is out of date \((rollouts|steps)\.jsonl changed after analysis\.json was written\): re-analysing the run and rewriting it$/);
    expect(statSync(join(run, 'analysis.json')).mtimeMs).toBeGreaterThan(past.getTime());
    // Current again: the next report says nothing about it.
    expect((await hotmess('report', run)).stderr).not.toContain('out of date');
  });

  it('a missing run directory: one line, exit code 3, no stack trace', async () => {
    const r = await hotmess('report', join(root, 'missing'));
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([`hotmess: ${join(root, 'missing')}: no such run directory`]);
  });
});
