/**
 * `replay --plain` and replay with stdout not a terminal: the CLI (in-process) on a
 * run made by the real engine. The first divergence it prints is checked
 * against one computed independently from steps.jsonl.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hotmess } from '../helpers/cli.js';
import { readJsonlFile } from '../helpers/run-dir.js';
import { groupSequences, makeMazeRun, splitSteps } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await makeMazeRun({ seed: 11 });
});

async function replay(...args: string[]) {
  const r = await hotmess('replay', dir, ...args);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const expectedLine = (group: string): string => {
  const splits = splitSteps(groupSequences(dir, group));
  return splits.length === 0 ? 'no divergence' : `first divergence at t=${splits[0]}`;
};

describe('replay --plain', () => {
  it('prints a group as lanes aligned by step, marks the first divergence, then the selected rollout step by step', async () => {
    const group = 'noisy:6:0';
    const seqs = groupSequences(dir, group);
    const first = splitSteps(seqs)[0];
    expect(first).toBeGreaterThanOrEqual(1);
    const { status, out, err } = await replay('--plain', '--group', group, '--rollout', '2');
    expect(err).toBe('');
    expect(status).toBe(0);
    const lines = out.split('\n');
    expect(lines).toContain(`first divergence at t=${first}`);
    // One row per step, the first divergence marked with ▶, each row holding every rollout's action.
    const rows = lines.filter((l) => /^[▶| ] +\d+  /.test(l));
    expect(rows.length).toBe(Math.max(...seqs.map((s) => s.length)));
    const marked = rows.filter((l) => l.startsWith('▶'));
    expect(marked.length).toBe(1);
    expect(Number(marked[0].slice(1).trim().split(/\s+/)[0])).toBe(first);
    for (const row of rows) {
      const [t, ...cells] = row.slice(1).trim().split(/\s+/);
      const labels = cells.map((c) => c.replace(/[*~!]+$/, ''));
      expect(labels).toEqual(seqs.map((s) => (Number(t) <= s.length ? (JSON.parse(s[Number(t) - 1]) as string) : '·')));
    }
    // The selected rollout, one line per step, with its logged action and oracle.
    const steps = readJsonlFile<{ rollout: string; t: number; action: string; oracle: string }>(join(dir, 'steps.jsonl')).filter((s) => s.rollout === `${group}:2`);
    const stepLines = lines.filter((l) => /^t=\d+ /.test(l));
    expect(stepLines.length).toBe(steps.length);
    steps.forEach((s, i) => {
      expect(stepLines[i]).toContain(`t=${s.t}  action ${JSON.stringify(s.action)}  oracle ${JSON.stringify(s.oracle)}`);
      expect(stepLines[i]).toContain('obs: You are at (');
    });
  });

  it('is automatic when stdout is not a terminal, and lists every group with its first divergence', async () => {
    const { status, out } = await replay();
    expect(status).toBe(0);
    for (const g of ['oracle:6:0', 'oracle:6:1', 'noisy:6:0', 'noisy:6:1']) {
      const line = out.split('\n').find((l) => l.startsWith(`${g} `));
      expect(line, g).toBeDefined();
      expect(line!.endsWith(expectedLine(g))).toBe(true);
    }
    expect(expectedLine('oracle:6:0')).toBe('no divergence');
    expect(out).toContain('incoherence');
  });

  it('names an unknown group in one line', async () => {
    const { status, err } = await replay('--plain', '--group', 'nobody:6:0');
    expect(status).toBe(2);
    expect(err.trim().split('\n')).toEqual([expect.stringContaining('--group nobody:6:0: no such group')]);
  });
});
