/**
 * How lanes name actions and rollouts that ended in error, on runs made by
 * the real engine. Regressions: hanoi lanes showed `{"from":"B"…` in every
 * cell (plain and interactive); a group whose rollouts all errored printed
 * "no divergence" and counted its errors as failures.
 */
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/cli/registry.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { actionLabel, ReplayModel } from '../../src/tui/index.js';
import { actionLegend } from '../../src/tui/model/format.js';
import { ReplayApp } from '../../src/tui/view/App.js';
import { hotmess } from '../helpers/cli.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { waitFor } from './helpers.js';

async function makeRun(raw: Record<string, unknown>): Promise<string> {
  const dir = join(tempDir('hotmess-labels-'), 'run');
  await runScenario(await resolveScenario(parseScenario(raw), REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
  return dir;
}

const replay = (dir: string, ...args: string[]) => hotmess('replay', dir, ...args);

/** The lane rows of `replay --plain --group` output: step → cell labels with their marks removed. */
function laneRows(out: string): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const l of out.split('\n')) {
    const m = /^[▶| ] +(\d+)  (.*)$/.exec(l);
    if (m) rows.set(Number(m[1]), m[2].trim().split(/\s+/).map((c) => c.replace(/[*~!]+$/, '')));
  }
  return rows;
}

describe('action labels', () => {
  it('flat objects by their values; moves as from→to; other shapes unchanged', () => {
    expect(actionLabel('{"from":"B","to":"C"}')).toBe('B→C');
    expect(actionLabel('{"price":"mid","restock":5}')).toBe('mid/5');
    expect(actionLabel('{"a":true,"b":null}')).toBe('true/null');
    expect(actionLabel('"N"')).toBe('N');
    expect(actionLabel('42')).toBe('42');
    expect(actionLabel('{"tool":"search","args":{"q":"x"}}')).toBe('search');
    // Nested values, or too many fields, stay JSON: a label must not hide structure.
    expect(actionLabel('{"move":{"from":"A"}}')).toBe('{"move":{"from":"A"}}');
    expect(actionLabel('{"a":1,"b":2,"c":3,"d":4,"e":5}')).toBe('{"a":1,"b":2,"c":3,"d":4,"e":5}');
    expect(actionLabel('[1,2]')).toBe('[1,2]');
  });

  it('the legend names the fields in label order', () => {
    expect(actionLegend(['{"from":"A","to":"B"}', '{"from":"B","to":"C"}'])).toEqual(['from→to']);
    expect(actionLegend(['{"price":"low","restock":0}'])).toEqual(['price/restock']);
    expect(actionLegend(['"N"', '3', '{"tool":"x"}'])).toEqual([]);
  });
});

describe('hanoi lanes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeRun({ name: 'labels-hanoi', environment: 'hanoi', horizons: [7], instances: 2, rollouts: 4, seed: 7, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } }] });
  });

  it('replay --plain shows each move as from→to, read independently from steps.jsonl', async () => {
    const group = 'noisy:7:1';
    const r = await replay(dir, '--plain', '--group', group);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('actions shown as from→to');
    const lanes = r.stdout.split('\n\n')[0];
    expect(lanes).not.toContain('{"from"');
    const steps = readJsonlFile<{ rollout: string; t: number; action: { from: string; to: string } }>(join(dir, 'steps.jsonl'));
    const rows = laneRows(lanes);
    expect(rows.size).toBeGreaterThan(0);
    for (const [t, cells] of rows) {
      cells.forEach((cell, i) => {
        const s = steps.find((x) => x.rollout === `${group}:${i}` && x.t === t);
        expect(cell, `t=${t} r${i}`).toBe(s ? `${s.action.from}→${s.action.to}` : '·');
      });
    }
  });

  it('the interactive lanes show the same labels', async () => {
    const model = await ReplayModel.open(dir, { cache: false });
    const app = render(<ReplayApp model={model} analysis={{ status: 'unavailable', note: 'test' }} initial={{ screen: 'group', group: model.groups.findIndex((g) => g.key === 'noisy:7:0') }} />);
    mounted = app;
    const frame = await waitFor(() => ((app.lastFrame() ?? '').includes('divergence steps') ? app.lastFrame()! : undefined), 'the group screen');
    expect(frame).toContain('actions as from→to');
    const laneLines = frame.split('\n').filter((l) => /^[▸ ] r\d/.test(l));
    expect(laneLines).toHaveLength(4);
    for (const l of laneLines) expect(l).not.toContain('{');
    const first = readJsonlFile<{ rollout: string; t: number; action: { from: string; to: string } }>(join(dir, 'steps.jsonl')).find((s) => s.rollout === 'noisy:7:0:0' && s.t === 1)!;
    expect(frame).toMatch(new RegExp(`▸ r0 +\\S +${first.action.from}→${first.action.to}`));
  });
});

let mounted: ReturnType<typeof render> | null = null;
afterEach(() => {
  mounted?.unmount();
  mounted = null;
});

describe('rollouts that ended in error', () => {
  let dir: string;
  beforeAll(async () => {
    // The registered human kind has no person at a terminal: every rollout ends in error.
    dir = await makeRun({ name: 'labels-errors', environment: 'maze', horizons: [3], instances: 1, rollouts: 3, seed: 1, agents: [{ name: 'nobody', kind: 'human' }, { name: 'oracle', kind: 'oracle' }] });
    const terms = readJsonlFile<{ agent: string; termination: string }>(join(dir, 'rollouts.jsonl'));
    expect(terms.filter((r) => r.agent === 'nobody').map((r) => r.termination)).toEqual(['error', 'error', 'error']);
  });

  it('a group whose rollouts all errored says so, and the errors are not counted as failures', async () => {
    const r = await replay(dir, '--plain');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('nobody:3:0  3 rollouts  all rollouts errored');
    expect(lines).toContain('oracle:3:0  3 rollouts  no divergence');
    const header = lines.find((l) => l.startsWith('agent '))!.split(/\s{2,}/);
    const row = lines.find((l) => l.startsWith('nobody '))!.split(/\s{2,}/);
    expect(row[header.indexOf('failed')]).toBe('0');
    expect(row[header.indexOf('errored')]).toBe('3');
  });

  it('its group view ends "all rollouts errored" and never calls a rollout failed', async () => {
    const r = await replay(dir, '--plain', '--group', 'nobody:3:0');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\nall rollouts errored\n');
    expect(r.stdout).not.toContain('no divergence');
    expect(r.stdout).toMatch(/^ +end +error +error +error$/m);
    expect(r.stdout).toMatch(/^rollout nobody:3:0:0 · error \(.*hotmess play.*\)/m);
    expect(r.stdout).not.toMatch(/failed/);
  });

  it('the interactive group header says so too', async () => {
    const model = await ReplayModel.open(dir, { cache: false });
    const app = render(<ReplayApp model={model} analysis={{ status: 'unavailable', note: 'test' }} initial={{ screen: 'group', group: model.groups.findIndex((g) => g.key === 'nobody:3:0') }} />);
    mounted = app;
    const frame = await waitFor(() => ((app.lastFrame() ?? '').includes('▸ r0') ? app.lastFrame()! : undefined), `the group screen\n${app.lastFrame()}`);
    expect(frame).toContain('all rollouts errored · 3 rollouts · 0 failed · 3 errored');
  });
});
