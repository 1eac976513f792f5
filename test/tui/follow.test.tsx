/**
 * replay follows a run that is still being written: new rollouts appear as
 * they commit, spend shows when there is a ledger, and nothing is written
 * into the run directory (no index cache, no lock), so a sweep can be
 * watched from a second terminal without disturbing it.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { INDEX_FILE, ReplayModel, renderPlain } from '../../src/tui/index.js';
import { ReplayApp } from '../../src/tui/view/App.js';
import { tempDir } from '../helpers/run-dir.js';
import { waitFor } from './helpers.js';

let mounted: ReturnType<typeof render> | null = null;
afterEach(() => {
  mounted?.unmount();
  mounted = null;
});

/** A run stopped after `before` rollouts and marked `running`, as a live process leaves it between commits. */
async function liveRun(before: number) {
  const spec = parseScenario({ name: 'live', environment: 'maze', horizons: [4], instances: 2, rollouts: 4, seed: 5, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } }] });
  const scenario = await resolveScenario(spec, REGISTRY, null);
  const dir = join(tempDir('hotmess-live-'), 'run');
  let started = 0;
  await runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test', shouldStop: () => (started++ >= before ? 'stopped for the test' : null) });
  const manifestFile = join(dir, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), status: 'running' }));
  const finish = () => runScenario(scenario, { out: dir, registry: REGISTRY, version: 'test', resume: true });
  return { dir, finish };
}

describe('replay of a running run', () => {
  it('follows it: new rollouts appear as they commit, and the end of the run is shown', async () => {
    const { dir, finish } = await liveRun(3);
    const before = readdirSync(dir).sort();
    const model = await ReplayModel.open(dir);
    expect(model.live).toBe(true);
    const first = model.index.rollouts.length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(8);
    const app = render(<ReplayApp model={model} follow={{ intervalMs: 30, spend: () => 'spend $0.12 · 7 requests' }} />);
    mounted = app;
    const frame = await waitFor(() => ((app.lastFrame() ?? '').includes('following a running run') ? app.lastFrame()! : undefined), 'the following title');
    expect(frame).toContain(`${first} rollouts`);
    expect(frame).toContain('spend $0.12 · 7 requests');
    // Watching wrote nothing: no index cache, no lock, nothing else.
    expect(existsSync(join(dir, INDEX_FILE))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(before);

    const done = await finish();
    expect(done.status).toBe('finished');
    const end = await waitFor(() => ((app.lastFrame() ?? '').includes('run finished') ? app.lastFrame()! : undefined), `the finished run\n${app.lastFrame()}`);
    expect(end).toContain('8 rollouts');
    expect(end).not.toContain('following a running run');
  });

  it('--plain prints one snapshot of a running run', async () => {
    const { dir } = await liveRun(2);
    const model = await ReplayModel.open(dir);
    let out = '';
    await renderPlain(model, {}, (s) => (out += s));
    expect(out).toMatch(/noisy/);
    expect(existsSync(join(dir, INDEX_FILE))).toBe(false);
  });
});
