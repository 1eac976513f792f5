/**
 * Scaling along a family (metrics spec H2). Agents that carry `family` and
 * `scale` form a ladder; for a family with at least three distinct scales,
 * per horizon and pooled over horizons, least squares of
 *   log Bias²_i = a_B + β_B·log s_i,  log Var_i = a_V + β_V·log s_i
 * (only points whose value is > 0; `used` says how many) and
 *   incoherence_i = a_I + β_I·log s_i.
 * Δ = β_B − β_V; its 95% interval comes from a cluster bootstrap that
 * resamples instances jointly for every agent of the family (they share
 * instances). The verdict names a direction only when the interval
 * excludes 0. Pure given the inputs; seeded.
 */
import { createRng, deriveSeed } from '../core/index.js';
import { incoherence, linearFit, quantileSorted } from '../metrics/index.js';
import type { ScalingEntry } from './document.js';
import type { GroupResult } from './group.js';

export const VERDICTS = {
  bias: 'bias falls faster than variance',
  variance: 'variance falls faster than bias',
  undecided: 'undecided',
} as const;

export interface LadderAgent {
  readonly agent: string;
  readonly family: string;
  readonly scale: number;
}

export interface ScalingCell {
  readonly agent: string;
  readonly horizon: number;
  readonly groups: readonly GroupResult[];
}

/** One group's outcome split, by instance. */
interface Split {
  readonly biasSq: number;
  readonly variance: number;
  readonly error: number;
  readonly floor: number;
}

interface Member {
  readonly agent: string;
  readonly scale: number;
  /** Instance key → the member's groups at that instance (one per horizon in scope). */
  readonly byInstance: Map<string, Split[]>;
}

interface Fit {
  readonly betaBias: number | null;
  readonly betaVariance: number | null;
  readonly betaIncoherence: number | null;
  readonly delta: number | null;
  readonly used: { biasSq: number; variance: number; incoherence: number };
  readonly series: { agent: string; scale: number; biasSq: number | null; variance: number | null; error: number | null; incoherence: number | null }[];
}

/** Families with at least three distinct scales, in the order of their first agent. */
export function ladders(agents: readonly LadderAgent[]): Map<string, LadderAgent[]> {
  const out = new Map<string, LadderAgent[]>();
  for (const a of agents) out.set(a.family, [...(out.get(a.family) ?? []), a]);
  for (const [f, members] of out) if (new Set(members.map((m) => m.scale)).size < 3) out.delete(f);
  return out;
}

export interface ScalingOptions {
  readonly resamples: number;
  readonly seed: string;
}

export function scalingAnalysis(agents: readonly LadderAgent[], cells: readonly ScalingCell[], options: ScalingOptions): ScalingEntry[] {
  const entries: ScalingEntry[] = [];
  for (const [family, members] of ladders(agents)) {
    const names = new Set(members.map((m) => m.agent));
    const mine = cells.filter((c) => names.has(c.agent));
    const horizons = [...new Set(mine.map((c) => c.horizon))].sort((a, b) => a - b);
    for (const horizon of [...horizons, null]) {
      const scope = mine.filter((c) => horizon === null || c.horizon === horizon);
      const ms = members.map((m) => memberOf(m, scope.filter((c) => c.agent === m.agent)));
      entries.push(fitScope(family, horizon, ms, options));
    }
  }
  return entries;
}

function memberOf(m: LadderAgent, cells: readonly ScalingCell[]): Member {
  const byInstance = new Map<string, Split[]>();
  for (const c of cells)
    for (const g of c.groups) {
      if (!g.outcome) continue;
      const key = String(g.info.instance);
      const split = { biasSq: g.outcome.biasSq, variance: g.outcome.variance, error: g.outcome.error, floor: g.outcome.floor ?? 0 };
      byInstance.set(key, [...(byInstance.get(key) ?? []), split]);
    }
  return { agent: m.agent, scale: m.scale, byInstance };
}

/** The fit on the instances `keys` (with repeats, for the bootstrap). */
function fit(members: readonly Member[], keys: readonly string[]): Fit {
  const series = members.map((m) => {
    let b = 0;
    let v = 0;
    let e = 0;
    let f = 0;
    let n = 0;
    for (const k of keys)
      for (const s of m.byInstance.get(k) ?? []) {
        b += s.biasSq;
        v += s.variance;
        e += s.error;
        f += s.floor;
        n++;
      }
    return { agent: m.agent, scale: m.scale, biasSq: n > 0 ? b / n : null, variance: n > 0 ? v / n : null, error: n > 0 ? e / n : null, incoherence: n > 0 ? incoherence(v, e, f) : null };
  });
  const logFit = (pick: (p: (typeof series)[number]) => number | null) => {
    const pts = series.filter((p) => (pick(p) ?? 0) > 0);
    return { slope: linearFit(pts.map((p) => Math.log(p.scale)), pts.map((p) => Math.log(pick(p)!)))?.slope ?? null, used: pts.length };
  };
  const b = logFit((p) => p.biasSq);
  const v = logFit((p) => p.variance);
  const inc = series.filter((p) => p.incoherence !== null);
  const betaIncoherence = linearFit(inc.map((p) => Math.log(p.scale)), inc.map((p) => p.incoherence!))?.slope ?? null;
  const delta = b.slope !== null && v.slope !== null ? b.slope - v.slope : null;
  return { betaBias: b.slope, betaVariance: v.slope, betaIncoherence, delta, used: { biasSq: b.used, variance: v.used, incoherence: inc.length }, series };
}

function fitScope(family: string, horizon: number | null, members: readonly Member[], options: ScalingOptions): ScalingEntry {
  const keys = [...new Set(members.flatMap((m) => [...m.byInstance.keys()]))].sort();
  const point = fit(members, keys);
  const draws = { delta: [] as number[], betaBias: [] as number[], betaVariance: [] as number[], betaIncoherence: [] as number[] };
  if (keys.length >= 2) {
    const rng = createRng(deriveSeed(options.seed, 'scaling', family, horizon ?? 'pooled'));
    const drawn: string[] = new Array(keys.length);
    for (let r = 0; r < options.resamples; r++) {
      for (let i = 0; i < keys.length; i++) drawn[i] = keys[rng.int(keys.length)];
      const f = fit(members, drawn);
      for (const k of ['delta', 'betaBias', 'betaVariance', 'betaIncoherence'] as const) {
        const x = f[k];
        if (x !== null && Number.isFinite(x)) draws[k].push(x);
      }
    }
  }
  const interval = (xs: number[]): [number, number] | null => {
    if (xs.length < 2) return null;
    const sorted = Float64Array.from(xs).sort();
    return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
  };
  const ci = { delta: interval(draws.delta), betaBias: interval(draws.betaBias), betaVariance: interval(draws.betaVariance), betaIncoherence: interval(draws.betaIncoherence) };
  return {
    family,
    horizon,
    points: new Set(members.map((m) => m.scale)).size,
    used: point.used,
    betaBias: point.betaBias,
    betaVariance: point.betaVariance,
    betaIncoherence: point.betaIncoherence,
    delta: point.delta,
    ci,
    verdict: verdictOf(ci.delta),
    series: point.series,
  };
}

/** A direction only when the whole interval of Δ = β_B − β_V is on one side of 0. */
export function verdictOf(delta: readonly [number, number] | null): ScalingEntry['verdict'] {
  if (delta === null) return VERDICTS.undecided;
  if (delta[1] < 0) return VERDICTS.bias;
  if (delta[0] > 0) return VERDICTS.variance;
  return VERDICTS.undecided;
}
