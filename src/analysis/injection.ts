/**
 * Error injection across fork runs (metrics spec H3). For a fork made with
 * --inject-rate R, p̂_after is the fraction of steps t > K, over all
 * continuations, whose action equals the oracle's action at the agent's own
 * state; its 95% interval comes from a bootstrap over continuations. Across
 * several fork runs, the least-squares slope of p̂_after against R, with a
 * bootstrap interval that resamples continuations within every run.
 * Self-conditioning shows as a negative slope.
 */
import { join } from 'node:path';
import { canonicalJson, createRng, deriveSeed, HotmessError } from '../core/index.js';
import { FILES, readJsonl, readManifest } from '../log/index.js';
import { clusterBootstrap, linearFit, quantileSorted } from '../metrics/index.js';

export interface InjectionPoint {
  readonly run: string;
  readonly rate: number;
  /** K: the replayed (and injected) prefix. */
  readonly step: number;
  readonly continuations: number;
  /** Oracle-judged steps after K. */
  readonly steps: number;
  readonly accuracyAfter: number | null;
  readonly ci: [number, number] | null;
  /** Mean number of prefix actions injected per continuation. */
  readonly meanInjected: number;
}

export interface InjectionSummary {
  readonly points: InjectionPoint[];
  /** Least-squares slope of p̂_after against R; null with fewer than two distinct rates. */
  readonly slope: number | null;
  readonly ci: { slope: [number, number] | null };
}

interface RunRows {
  readonly point: InjectionPoint;
  /** Per continuation: [matches after K, judged steps after K]. */
  readonly rows: [number, number][];
}

async function readRun(dir: string, resamples: number): Promise<RunRows> {
  const m = readManifest(dir);
  const fork = m.fork as { step?: number; inject?: { rate: number; injected: number[] } } | undefined;
  if (!fork || typeof fork.step !== 'number' || !fork.inject) throw new HotmessError('usage', `${join(dir, FILES.manifest)}: not a fork made with --inject-rate`);
  const K = fork.step;
  const byRollout = new Map<string, [number, number]>();
  await readJsonl(join(dir, FILES.steps), (rec) => {
    const r = rec as { rollout?: unknown; t?: unknown; action?: unknown; oracle?: unknown };
    if (typeof r.rollout !== 'string' || typeof r.t !== 'number' || r.t <= K || r.oracle === undefined) return;
    const row = byRollout.get(r.rollout) ?? [0, 0];
    if (canonicalJson(r.action) === canonicalJson(r.oracle)) row[0]++;
    row[1]++;
    byRollout.set(r.rollout, row);
  });
  const committed = new Set<string>();
  await readJsonl(join(dir, FILES.rollouts), (rec) => {
    const r = rec as { rollout?: unknown; termination?: unknown };
    if (typeof r.rollout === 'string' && r.termination !== 'error') committed.add(r.rollout);
  });
  const rows = [...byRollout].filter(([id]) => committed.has(id)).map(([, row]) => row);
  const matches = rows.reduce((s, r) => s + r[0], 0);
  const judged = rows.reduce((s, r) => s + r[1], 0);
  const ci = clusterBootstrap(rows, [{ name: 'p', num: 0, den: 1 }], resamples, createRng(deriveSeed('injection', dir)))['p'];
  const injected = fork.inject.injected;
  return {
    rows,
    point: {
      run: dir,
      rate: fork.inject.rate,
      step: K,
      continuations: rows.length,
      steps: judged,
      accuracyAfter: judged > 0 ? matches / judged : null,
      ci,
      meanInjected: injected.length > 0 ? injected.reduce((a, b) => a + b, 0) / injected.length : 0,
    },
  };
}

export async function injectionSummary(dirs: readonly string[], resamples = 1000): Promise<InjectionSummary> {
  const runs = await Promise.all(dirs.map((d) => readRun(d, resamples)));
  const points = runs.map((r) => r.point).sort((a, b) => a.rate - b.rate);
  const fitOf = (ps: { rate: number; p: number | null }[]) => {
    const ok = ps.filter((x): x is { rate: number; p: number } => x.p !== null);
    return linearFit(ok.map((x) => x.rate), ok.map((x) => x.p))?.slope ?? null;
  };
  const slope = fitOf(points.map((p) => ({ rate: p.rate, p: p.accuracyAfter })));
  let ci: [number, number] | null = null;
  if (slope !== null) {
    const rng = createRng(deriveSeed('injection', 'slope', ...dirs));
    const draws: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const ps = runs.map((r) => {
        let m = 0;
        let n = 0;
        for (let i = 0; i < r.rows.length; i++) {
          const row = r.rows[rng.int(r.rows.length)];
          m += row[0];
          n += row[1];
        }
        return { rate: r.point.rate, p: n > 0 ? m / n : null };
      });
      const s = fitOf(ps);
      if (s !== null) draws.push(s);
    }
    if (draws.length >= 2) {
      const sorted = Float64Array.from(draws).sort();
      ci = [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
    }
  }
  return { points, slope, ci: { slope: ci } };
}
