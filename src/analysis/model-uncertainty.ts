/**
 * Model uncertainty from logprobs (metrics.md H4): per group and step, the
 * mean over alive rollouts of π(t), the probability the model gave its
 * chosen action, and of H_model(t), its entropy over the candidate actions;
 * per group, Spearman's ρ between mean H_model(t) and the pair hazard h(t)
 * over the steps where both exist, with a 95% bootstrap interval over those
 * steps. A positive ρ: the model's own uncertainty marks where rollouts split.
 *
 * Only runs whose agents asked for logprobs are read for it (a second,
 * filtered pass over steps.jsonl: lines without `"actionProb"` are skipped
 * unparsed).
 */
import { existsSync } from 'node:fs';
import { createRng, deriveSeed } from '../core/index.js';
import { textLines } from '../log/index.js';
import { quantileSorted } from '../metrics/index.js';
import type { GroupSummary, ModelUncertainty } from './document.js';
import type { GroupInfo } from './rollouts.js';

type UncertaintyStep = ModelUncertainty['steps'][number];

interface Acc {
  probSum: number;
  probN: number;
  entSum: number;
  entN: number;
  alive: number;
}

/** Whether a run's agents asked for logprobs (an `openai` agent, alone or inside an ensemble). */
export function asksLogprobs(agents: readonly { kind: string; params?: unknown }[]): boolean {
  return agents.some((a) => {
    const p = (a.params ?? {}) as { logprobs?: unknown; inner?: { params?: { logprobs?: unknown } } };
    return p.logprobs !== undefined || (typeof p.inner === 'object' && p.inner?.params?.logprobs !== undefined);
  });
}

/** Per group and step, the sums of π and H_model from the step lines that carry them. */
export async function readUncertainty(stepsFile: string, slots: ReadonlyMap<string, { group: GroupInfo }>): Promise<Map<string, Map<number, Acc>>> {
  const out = new Map<string, Map<number, Acc>>();
  if (!existsSync(stepsFile)) return out;
  for await (const { text } of textLines(stepsFile)) {
    if (!text.includes('"actionProb"')) continue;
    let rec: { rollout?: unknown; t?: unknown; info?: { actionProb?: unknown; modelEntropy?: unknown } };
    try {
      rec = JSON.parse(text);
    } catch {
      continue; // a torn line: the main pass reports it
    }
    const at = typeof rec.rollout === 'string' ? slots.get(rec.rollout) : undefined;
    if (!at || typeof rec.t !== 'number') continue;
    let steps = out.get(at.group.key);
    if (!steps) out.set(at.group.key, (steps = new Map()));
    let acc = steps.get(rec.t);
    if (!acc) steps.set(rec.t, (acc = { probSum: 0, probN: 0, entSum: 0, entN: 0, alive: 0 }));
    acc.alive++;
    const p = rec.info?.actionProb;
    const h = rec.info?.modelEntropy;
    if (typeof p === 'number' && Number.isFinite(p)) {
      acc.probSum += p;
      acc.probN++;
    }
    if (typeof h === 'number' && Number.isFinite(h)) {
      acc.entSum += h;
      acc.entN++;
    }
  }
  return out;
}

/** Join the sums with each group's hazard curve, and correlate. */
export function groupUncertainty(groups: readonly GroupSummary[], keyOf: (g: GroupSummary) => string, sums: ReadonlyMap<string, ReadonlyMap<number, Acc>>, opts: { resamples: number; seed: string }): ModelUncertainty[] {
  const out: ModelUncertainty[] = [];
  for (const g of groups) {
    const key = keyOf(g);
    const acc = sums.get(key);
    if (!acc) continue;
    const hazard = new Map(g.steps.map((s) => [s.t, s.hazard] as const));
    const steps: UncertaintyStep[] = [...acc.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, a]) => ({ t, alive: a.alive, meanProb: a.probN > 0 ? a.probSum / a.probN : null, meanEntropy: a.entN > 0 ? a.entSum / a.entN : null, hazard: hazard.get(t) ?? null }));
    const pairs = steps.filter((s) => s.meanEntropy !== null && s.hazard !== null).map((s) => [s.meanEntropy!, s.hazard!] as const);
    const xs = pairs.map((p) => p[0]);
    const ys = pairs.map((p) => p[1]);
    const rho = spearman(xs, ys);
    out.push({ agent: g.agent, horizon: g.horizon, instance: g.instance, steps, rho, points: pairs.length, ci: { rho: rho === null ? null : bootstrapRho(xs, ys, opts.resamples, deriveSeed(opts.seed, 'model-uncertainty', key)) } });
  }
  return out;
}

/** Ranks from 1, ties given their average rank. */
export function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k][1]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ: Pearson's correlation of the ranks. Null with fewer than 3 points or no spread in either. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 3 || y.length !== n) return null;
  const rx = ranks(x);
  const ry = ranks(y);
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/** Percentile 95% interval of ρ over resampled (H, h) pairs; null when fewer than 2 resamples define it. */
function bootstrapRho(x: readonly number[], y: readonly number[], resamples: number, seed: string): [number, number] | null {
  const rng = createRng(seed);
  const n = x.length;
  const draws: number[] = [];
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      bx[i] = x[k];
      by[i] = y[k];
    }
    const r = spearman(bx, by);
    if (r !== null) draws.push(r);
  }
  if (draws.length < 2) return null;
  draws.sort((a, b) => a - b);
  return [quantileSorted(draws, 0.025), quantileSorted(draws, 0.975)];
}
