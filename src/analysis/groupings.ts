/**
 * The paper's groupings over a run (spec D): length buckets and the median
 * split per agent (over all its horizons), and the ensembling curve per
 * agent × horizon. Built from the groups' outcome vectors; no step data.
 */
import {
  aggregate,
  decompose,
  ensembleClosedForm,
  ensembleDecomposition,
  ensembleSizes,
  equalCountBuckets,
  medianHalves,
  type DecomposeOptions,
  type Decomposition,
} from '../metrics/index.js';
import type { BucketSummary, EnsembleSummary, MedianSplit } from './document.js';
import type { GroupResult } from './group.js';

const meanOf = (xs: readonly number[]): number | null => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const pick = ({ biasSq, variance, error, incoherence }: ReturnType<typeof aggregate>) => ({ biasSq, variance, error, incoherence });

/** B equal-count buckets of each agent's groups (with n ≥ 2) by mean rollout length. */
export function lengthBuckets(agents: readonly string[], groups: readonly GroupResult[], B: number): BucketSummary[] {
  const out: BucketSummary[] = [];
  for (const agent of agents) {
    const mine = groups.filter((g) => g.info.agent === agent && g.outcome !== null);
    equalCountBuckets(mine, (g) => g.summary.meanLength ?? 0, B).forEach((bucket, i) => {
      const lengths = bucket.map((g) => g.summary.meanLength ?? 0);
      out.push({
        agent,
        bucket: i + 1,
        groups: bucket.length,
        minLength: lengths.length > 0 ? Math.min(...lengths) : null,
        maxLength: lengths.length > 0 ? Math.max(...lengths) : null,
        meanLength: meanOf(lengths),
        ...pick(aggregate(bucket.map((g) => g.outcome))),
      });
    });
  }
  return out;
}

function subset(g: GroupResult, idx: readonly number[], options: DecomposeOptions): Decomposition | null {
  if (idx.length < 2) return null;
  const d = g.target.length;
  const vals = new Float64Array(idx.length * d);
  idx.forEach((r, i) => vals.set(g.values.subarray(r * d, (r + 1) * d), i * d));
  return decompose(g.summary.outcome.kind, vals, idx.length, d, g.target, options);
}

export const MEDIAN_RULE =
  "each group's rollouts sorted by length (ties by index); short = the first ⌊n/2⌋, long = the last ⌊n/2⌋; groups whose rollouts all have one length are left out";

export function medianSplit(agents: readonly string[], groups: readonly GroupResult[], options: DecomposeOptions): MedianSplit {
  return {
    rule: MEDIAN_RULE,
    agents: agents.map((agent) => {
      const shorts: (Decomposition | null)[] = [];
      const longs: (Decomposition | null)[] = [];
      const lens = { short: [] as number[], long: [] as number[] };
      let used = 0;
      for (const g of groups) {
        if (g.info.agent !== agent) continue;
        const lengths = g.info.members.map((m) => m.length);
        const halves = medianHalves(lengths);
        if (!halves) continue;
        used++;
        shorts.push(subset(g, halves.short, options));
        longs.push(subset(g, halves.long, options));
        for (const r of halves.short) lens.short.push(lengths[r]);
        for (const r of halves.long) lens.long.push(lengths[r]);
      }
      return {
        agent,
        groups: used,
        short: { rollouts: lens.short.length, meanLength: meanOf(lens.short), ...pick(aggregate(shorts)) },
        long: { rollouts: lens.long.length, meanLength: meanOf(lens.long), ...pick(aggregate(longs)) },
      };
    }),
  };
}

/**
 * Ensembling curve per agent × horizon: for each E, the groups with at least
 * two disjoint ensembles of size E; the closed form uses the E = 1 values of
 * those same groups.
 */
export function ensembles(cells: readonly { agent: string; horizon: number; groups: readonly GroupResult[] }[], options: DecomposeOptions): EnsembleSummary[] {
  const out: EnsembleSummary[] = [];
  for (const { agent, horizon, groups } of cells) {
    const maxN = Math.max(0, ...groups.map((g) => g.summary.n));
    for (const E of ensembleSizes(maxN)) {
      const used = groups.filter((g) => Math.floor(g.summary.n / E) >= 2);
      if (used.length === 0) continue;
      const decs = used.map((g) => ensembleDecomposition(g.summary.outcome.kind, g.values, g.summary.n, g.target.length, g.target, E, options));
      const single = aggregate(used.map((g) => g.outcome));
      out.push({
        agent,
        horizon,
        E,
        groups: used.length,
        ensembles: used.reduce((s, g) => s + Math.floor(g.summary.n / E), 0),
        ...pick(aggregate(decs)),
        closedForm: ensembleClosedForm(single.biasSq, single.variance, E, single.floor),
      });
    }
  }
  return out;
}
