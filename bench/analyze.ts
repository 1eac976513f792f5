/**
 * Benchmark: analyse a synthetic run of ≥ 1,000,000 steps (1000 rollouts ×
 * 1000 steps: 10 instances × 100 rollouts, one noisy-like agent over 4
 * actions, with measures and 2 features per step) written directly in the
 * log format into a temp dir. Prints exactly
 *   bench analyze steps=<n> seconds=<s> peakMB=<m>
 * where seconds covers the analysis only and peakMB is the process's peak
 * resident set. Exported `main` for bench/run.ts; runs when executed directly.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, hashString } from '../src/core/index.js';
import { rolloutSeeds } from '../src/engine/index.js';
import { analyzeRun } from '../src/analysis/index.js';

const ACTIONS = ['"N"', '"E"', '"S"', '"W"'];
const DX = [0, 1, 0, -1];
const DY = [-1, 0, 1, 0];

export interface BenchShape {
  readonly instances: number;
  readonly rollouts: number;
  readonly steps: number;
  readonly epsilon: number;
}

export const DEFAULT_SHAPE: BenchShape = { instances: 10, rollouts: 100, steps: 1000, epsilon: 0.05 };

/** Write the synthetic run; returns the number of step lines. */
export async function writeSyntheticRun(dir: string, shape: BenchShape = DEFAULT_SHAPE): Promise<number> {
  const H = shape.steps;
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      schema: 'hotmess.run/1',
      status: 'finished',
      name: 'bench-analyze',
      seed: 1,
      environment: { name: 'synthetic-walk', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: true },
      agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: shape.epsilon } }],
      horizons: [H],
      instances: shape.instances,
      rollouts: shape.rollouts,
    }),
  );
  const steps = createWriteStream(join(dir, 'steps.jsonl'));
  const rollouts: string[] = [];
  let n = 0;
  let buf = '';
  const flush = async () => {
    if (!steps.write(buf)) await new Promise<void>((r) => steps.once('drain', () => r()));
    buf = '';
  };
  for (let inst = 0; inst < shape.instances; inst++) {
    for (let idx = 0; idx < shape.rollouts; idx++) {
      const id = `noisy:${H}:${inst}:${idx}`;
      const idJson = JSON.stringify(id);
      const rng = createRng(rolloutSeeds(1, 'noisy', H, inst, idx).agent);
      let x = 0;
      let y = 0;
      for (let t = 1; t <= H; t++) {
        const oracle = (inst + t) % 4;
        const a = rng.next() < shape.epsilon ? (oracle + 1 + rng.int(3)) % 4 : oracle;
        x += DX[a];
        y += DY[a];
        // Reference position: the oracle's walk.
        const rx = refPos(inst, t, 0);
        const ry = refPos(inst, t, 1);
        buf +=
          `{"rollout":${idJson},"t":${t},"action":${ACTIONS[a]},"oracle":${ACTIONS[oracle]},"obs":"${hashString(`${x},${y}`, 3)}",` +
          `"state":"${hashString(`${t}:${x},${y}`)}","reward":0,"patches":[],"measure":[${x},${y}],"target":[${rx},${ry}],"features":[${x},${y}],"timing":{"ms":0.01}}\n`;
        n++;
      }
      if (buf.length > 1 << 20) await flush();
      const tx = refPos(inst, H, 0);
      const ty = refPos(inst, H, 1);
      rollouts.push(
        JSON.stringify({ rollout: id, agent: 'noisy', horizon: H, instance: inst, index: idx, length: H, termination: 'truncated', outcome: { kind: 'squared', value: [x, y], target: [tx, ty], success: x === tx && y === ty } }),
      );
    }
  }
  await flush();
  await new Promise<void>((resolve, reject) => steps.end((e?: Error | null) => (e ? reject(e) : resolve())));
  writeFileSync(join(dir, 'rollouts.jsonl'), rollouts.join('\n') + '\n');
  return n;
}

/** Coordinate `axis` of the oracle walk of instance `inst` after t steps. */
function refPos(inst: number, t: number, axis: 0 | 1): number {
  let v = 0;
  for (let d = 0; d < 4; d++) {
    // Steps s in 1..t with (inst + s) % 4 === d.
    const first = (((d - inst) % 4) + 4) % 4 || 4;
    const count = t >= first ? Math.floor((t - first) / 4) + 1 : 0;
    v += count * (axis === 0 ? DX[d] : DY[d]);
  }
  return v;
}

export async function main(shape: BenchShape = DEFAULT_SHAPE): Promise<{ steps: number; seconds: number; peakMB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-analyze-'));
  try {
    const steps = await writeSyntheticRun(dir, shape);
    const start = process.hrtime.bigint();
    const doc = await analyzeRun(dir, { resamples: 1000 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peakMB = process.resourceUsage().maxRSS / 1024;
    if (doc.counts.stepLines !== steps) throw new Error(`analysed ${doc.counts.stepLines} step lines of ${steps}`);
    process.stdout.write(`bench analyze steps=${steps} seconds=${seconds.toFixed(2)} peakMB=${Math.round(peakMB)}\n`);
    return { steps, seconds, peakMB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
