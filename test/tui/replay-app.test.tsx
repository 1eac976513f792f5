/**
 * The replay app under ink-testing-library, on a run made by the real
 * engine: the overview's numbers, opening a group, each navigation key,
 * the detail pane, the filters, help and quitting. Expected steps come
 * from steps.jsonl read independently (helpers.ts).
 */
import { render as inkRender } from 'ink';
import { render } from 'ink-testing-library';
import { PassThrough, Writable } from 'node:stream';
import { useEffect } from 'react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fmt } from '../../src/analysis/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { loadAnalysis, ReplayModel, type AnalysisState } from '../../src/tui/index.js';
import { ReplayApp } from '../../src/tui/view/App.js';
import { groupSequences, makeMazeRun, splitSteps, waitFor } from './helpers.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', right: '\u001B[C', left: '\u001B[D', home: '\u001B[H', end: '\u001B[F', enter: '\r', escape: '\u001B' };

let dir: string;
let model: ReplayModel;
let analysis: AnalysisState;
let splits: number[];
beforeAll(async () => {
  dir = await makeMazeRun();
  model = await ReplayModel.open(dir, { resolveEnvironment: (n) => (REGISTRY.environments as Record<string, never>)[n] });
  analysis = await loadAnalysis(dir);
  splits = splitSteps(groupSequences(dir, 'noisy:6:0'));
});

let mounted: ReturnType<typeof render> | null = null;
afterEach(() => {
  mounted?.unmount();
  mounted = null;
});

/** Mount the app; `exited` turns true when ink unmounts the tree (the app quit). */
function mount(initial?: Parameters<typeof ReplayApp>[0]['initial']) {
  const state = { exited: false };
  function Probe() {
    useEffect(
      () => () => {
        state.exited = true;
      },
      [],
    );
    return null;
  }
  const app = render(
    <>
      <ReplayApp model={model} analysis={analysis} initial={initial} />
      <Probe />
    </>,
  );
  mounted = app;
  const screen = (text: string | RegExp) => waitFor(() => {
    const f = app.lastFrame() ?? '';
    return (typeof text === 'string' ? f.includes(text) : text.test(f)) ? f : undefined;
  }, `a frame showing ${text}\n--- last frame ---\n${app.lastFrame()}`);
  const press = async (key: string, expect: string | RegExp) => {
    app.stdin.write(key);
    return screen(expect);
  };
  return { app, state, screen, press };
}

describe('replay app', () => {
  it('shows the overview with the analysis numbers and a survival sparkline', async () => {
    const { screen } = mount();
    const frame = await screen('noisy');
    expect(analysis.status).toBe('ready');
    const doc = analysis.status === 'ready' ? analysis.doc : null;
    const h = doc!.horizons.find((x) => x.agent === 'noisy')!;
    const row = frame.split('\n').find((l) => l.includes('noisy'))!;
    expect(row).toContain(fmt(h.incoherence));
    expect(row).toContain(fmt(h.biasSq));
    expect(row).toContain(fmt(h.variance));
    expect(row).toMatch(/[▁▂▃▄▅▆▇█]{6}/);
    expect(frame).toContain('incoherence');
  });

  it('opens a group and moves with →, n/p, ↓/↑, Home/End', async () => {
    expect(splits.length).toBeGreaterThan(1);
    const { press } = mount();
    await press(KEY.down, '▸ noisy');
    // The header's step counter appears once the group's lanes are loaded.
    let f = await press(KEY.enter, 't=1/6');
    expect(f).toContain('group noisy:6:0');
    expect(f).toContain(`first divergence t=${splits[0]}`);
    expect(f).toContain(`${splits.length} divergence steps`);
    f = await press(KEY.right, 't=2/6');
    const next = splits.find((s) => s > 2);
    if (next !== undefined) {
      f = await press('n', `t=${next}/6`);
      const prev = [...splits].reverse().find((s) => s < next);
      if (prev !== undefined) await press('p', `t=${prev}/6`);
    }
    f = await press(KEY.end, 't=6/6');
    f = await press(KEY.home, 't=1/6');
    f = await press(KEY.down, '▸ r1');
    expect(f).toContain('noisy:6:0:1 · step 1');
    await press(KEY.up, '▸ r0');
  });

  it('shows the detail of the selected step with its re-derived observation', async () => {
    const { press, screen } = mount({ screen: 'group', group: model.groups.findIndex((g) => g.key === 'noisy:6:0') });
    await screen('t=1/6');
    const f = await press(KEY.right, /step 2 [^]*matches the logged hash/);
    const lane = (await model.group('noisy:6:0')).lanes[0];
    const rec = model.readStep(lane, 2)!;
    expect(f).toContain(`noisy:6:0:0 · step 2`);
    expect(f).toContain(`action ${JSON.stringify(rec.action)}`);
    expect(f).toContain(`oracle ${JSON.stringify(rec.oracle)} ${rec.oracle === rec.action ? '✓' : '✗'}`);
    expect(f).toContain(`reward ${rec.reward}`);
    expect(f).toContain('You are at (');
    expect(f).toMatch(/state: (unchanged|[xy]: \d+ → \d+)/);
  });

  it('filters to failed rollouts and to divergence steps', async () => {
    const g = await model.group('noisy:6:0');
    const { press, screen } = mount({ screen: 'group', group: model.groups.findIndex((x) => x.key === 'noisy:6:0') });
    await screen('t=1/6');
    const f = await press('f', 'filter: failed or errored rollouts only');
    for (const lane of g.lanes) {
      const shown = f.includes(`r${lane.rollout.index} ${lane.rollout.success ? '✓' : '✗'}`);
      expect(shown).toBe(lane.rollout.success !== true);
    }
    const d = await press('d', 'divergence steps only');
    const ruler = d.split('\n').find((l) => /^\s+t\s/.test(l))!;
    expect(ruler.trim().split(/\s+/).slice(1).map(Number)).toEqual(splits);
  });

  it('lists every key on ? and quits on q', async () => {
    const { press, state, app } = mount();
    await press('?', 'next / previous divergence step');
    const f = app.lastFrame()!;
    for (const k of ['← / →', 'Home / End', 'n / p', '↑ / ↓', 'f ', 'd ', '? ', 'q ']) expect(f).toContain(k);
    await press('?', 'incoherence');
    app.stdin.write('q');
    await waitFor(() => (state.exited ? true : undefined), 'the app to exit on q');
  });
});

describe('replay app without a terminal on stdin', () => {
  it('draws once, says keys are off, and ends instead of waiting', async () => {
    let written = '';
    const stdout = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          written += String(chunk);
          done();
        },
      }),
      { columns: 100, rows: 30 },
    );
    const stdin = new PassThrough(); // not a TTY: no raw mode
    const app = inkRender(<ReplayApp model={model} analysis={analysis} />, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, patchConsole: false, exitOnCtrlC: false });
    await app.waitUntilExit();
    expect(written).toContain('stdin is not a terminal: keys are off');
    expect(written).toContain('incoherence');
  });
});
