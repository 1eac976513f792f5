/**
 * Benchmark: open a 1,000,000-step run in the replay. The run is a real
 * kv-sum run (10 instances × 100 rollouts × 1000 steps of a noisy agent)
 * written straight in the engine's log format: instances come from the
 * environment's own reset with the derived env seeds, and every step line
 * has the engine's fields (oracle, observation hash, state hash, patches,
 * measure, features). "Open" is what a person waits for: the index (built
 * by one scan, or read from RUN/.replay-index.json), the first group's
 * lanes, the detail of its first step, and both drawn. Prints
 *   bench replay-open steps=<n> seconds=<s>          (no index yet: scan included)
 *   bench replay-open-cached steps=<n> seconds=<s>   (index cached)
 *   bench replay-jump steps=<n> seconds=<s>          (End on a 1000-step rollout: re-derive its last observation)
 * Exported `main` for bench/run.ts; runs when executed directly.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Box, renderToString } from 'ink';
import { createElement as h } from 'react';
import { createRng, hashString } from '../src/core/index.js';
import { rolloutSeeds } from '../src/engine/index.js';
import { ENVIRONMENTS } from '../environments/index.js';
import { ReplayModel } from '../src/tui/index.js';
import { Lanes } from '../src/tui/view/Lanes.js';
import { Detail } from '../src/tui/view/Detail.js';
import { laneWindow } from '../src/tui/view/layout.js';
import { initialNav } from '../src/tui/view/nav.js';

export interface ReplayBenchShape {
  readonly instances: number;
  readonly rollouts: number;
  readonly horizon: number;
  readonly epsilon: number;
}

export const DEFAULT_SHAPE: ReplayBenchShape = { instances: 10, rollouts: 100, horizon: 1000, epsilon: 0.002 };

interface KvState {
  readonly instance: { readonly values: readonly number[]; readonly schedule: readonly number[]; readonly keysPerStep: number; readonly truth: readonly number[] };
  readonly t: number;
  readonly sum: number;
}

/** Write the run; returns the number of step lines. */
export async function writeKvSumRun(dir: string, shape: ReplayBenchShape = DEFAULT_SHAPE): Promise<number> {
  const env = ENVIRONMENTS['kv-sum'];
  const params = env.params.parse({ dictSize: 64, keysPerStep: 1 });
  const H = shape.horizon;
  const seed = 1;
  const scenario = { name: 'bench-replay', environment: 'kv-sum', params, horizons: [H], instances: shape.instances, rollouts: shape.rollouts, seed, agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: shape.epsilon } }], concurrency: 1 };
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      schema: 'hotmess.run/1',
      status: 'finished',
      name: 'bench-replay',
      source: 'bench/replay.ts',
      scenario,
      environment: { name: 'kv-sum', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: true },
      agents: scenario.agents,
      horizons: [H],
      instances: shape.instances,
      rollouts: shape.rollouts,
      seed,
    }),
  );
  const steps = createWriteStream(join(dir, 'steps.jsonl'));
  const rollouts: string[] = [];
  let buf = '';
  let n = 0;
  const flush = async () => {
    if (!steps.write(buf)) await new Promise<void>((r) => steps.once('drain', () => r()));
    buf = '';
  };
  for (let inst = 0; inst < shape.instances; inst++) {
    for (let idx = 0; idx < shape.rollouts; idx++) {
      const seeds = rolloutSeeds(seed, 'noisy', H, inst, idx);
      const first = env.reset(params, H, createRng(seeds.env)) as unknown as KvState;
      const { values, schedule, truth } = first.instance;
      const rng = createRng(seeds.agent);
      const id = `noisy:${H}:${inst}:${idx}`;
      const idJson = JSON.stringify(id);
      let state: KvState = first;
      let ret = 0;
      for (let t = 1; t <= H; t++) {
        const oracle = state.sum + values[schedule[t - 1]];
        const d = rng.int(198) - 99;
        const action = rng.next() < shape.epsilon ? oracle + (d >= 0 ? d + 1 : d) : oracle;
        const obs = env.observe(state as never).text;
        const reward = action === truth[t] ? 1 : 0;
        ret += reward;
        state = { instance: state.instance, t, sum: action };
        buf +=
          `{"rollout":${idJson},"t":${t},"action":${action},"oracle":${oracle},"obs":"${hashString(obs)}","state":"${env.hash(state as never)}","reward":${reward},` +
          `"patches":[{"op":"replace","path":["t"],"value":${t}},{"op":"replace","path":["sum"],"value":${action}}],"measure":[${action}],"target":[${truth[t]}],"features":[${action}]}\n`;
        n++;
      }
      const target = truth[H];
      rollouts.push(
        JSON.stringify({ rollout: id, agent: 'noisy', horizon: H, instance: inst, index: idx, seeds, length: H, termination: 'terminated', outcome: { kind: 'squared', value: [state.sum], target: [target], success: state.sum === target }, return: ret }),
      );
      if (buf.length > 1 << 22) await flush();
    }
  }
  await flush();
  await new Promise<void>((r) => steps.end(() => r()));
  writeFileSync(join(dir, 'rollouts.jsonl'), rollouts.join('\n') + '\n');
  return n;
}

/** Open the run as `hotmess replay RUN --group <first>` does, up to a drawn first screen. */
async function openFirstScreen(dir: string, cache: boolean): Promise<void> {
  const env = ENVIRONMENTS['kv-sum'];
  const model = await ReplayModel.open(dir, { resolveEnvironment: (name) => (name === 'kv-sum' ? env : undefined), cache });
  const data = await model.group(model.groups[0].key);
  const nav = initialNav({ screen: 'group' });
  const view = await model.stepView(data, data.lanes[0], 1);
  const w = laneWindow(data, nav, 159, 30);
  const lane = data.lanes[0];
  const frame = renderToString(
    h(
      Box,
      { flexDirection: 'column' },
      h(Lanes, { window: w, t: 1, firstDivergence: data.divergence.first, divergenceSteps: new Set(data.divergence.steps) }),
      h(Detail, { rollout: lane.rollout, t: 1, record: view?.record ?? null, observation: view?.observation ?? null, changes: view?.changes ?? [], call: null, width: 159, height: 14 }),
    ),
    { columns: 160 },
  );
  if (!frame.includes('r0')) throw new Error('bench replay: the first screen did not draw the lanes');
}

export async function main(shape: ReplayBenchShape = DEFAULT_SHAPE): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-replay-'));
  try {
    const n = await writeKvSumRun(dir, shape);
    let start = performance.now();
    await openFirstScreen(dir, true);
    process.stdout.write(`bench replay-open steps=${n} seconds=${((performance.now() - start) / 1000).toFixed(3)}\n`);
    start = performance.now();
    await openFirstScreen(dir, true);
    process.stdout.write(`bench replay-open-cached steps=${n} seconds=${((performance.now() - start) / 1000).toFixed(3)}\n`);
    const model = await ReplayModel.open(dir, { resolveEnvironment: () => ENVIRONMENTS['kv-sum'] });
    const data = await model.group(model.groups[0].key);
    start = performance.now();
    const v = await model.stepView(data, data.lanes[0], data.T);
    if (v?.observation.text === null || (v && 'hashMatches' in v.observation && v.observation.hashMatches !== true)) throw new Error('bench replay: the re-derived observation does not match the logged hash');
    process.stdout.write(`bench replay-jump steps=${data.T} seconds=${((performance.now() - start) / 1000).toFixed(3)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
