/**
 * How one agent's incoherence moves with the horizon: the least-squares
 * slope of incoherence against log₂ H ("per doubling"), with a 95% cluster-
 * bootstrap interval. Instances at different horizons have different
 * environment seeds, so each horizon's groups are resampled on their own and
 * the slope is refitted per resample. Pure given the seed.
 */
import { createRng, deriveSeed } from '../core/index.js';
import { aggregate, incoherence, quantileSorted } from '../metrics/index.js';
import type { HorizonTrend } from './document.js';
import type { GroupResult } from './group.js';

export interface TrendCell {
  readonly agent: string;
  readonly horizon: number;
  readonly groups: readonly GroupResult[];
}

export interface TrendOptions {
  readonly resamples: number;
  readonly seed: string;
}

/** One horizon's groups as (variance, error, floor) rows: the ratio-of-sums inputs. */
type Rows = readonly (readonly [number, number, number])[];

const rowsOf = (groups: readonly GroupResult[]): Rows =>
  groups.flatMap((g) => (g.outcome ? [[g.outcome.variance, g.outcome.error, g.outcome.floor ?? 0] as const] : []));

const ratio = (rows: Rows): number | null => aggregate(rows.map(([variance, error, floor]) => ({ variance, error, floor }))).incoherence;

/** OLS slope of ys on xs; null with fewer than two distinct xs. */
export function olsSlope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  return sxx > 0 ? sxy / sxx : null;
}

/**
 * One trend per agent, in the order the cells come (agent, then horizon).
 * Horizons whose incoherence is undefined (no error to split) are left out
 * of the fit and listed in `horizons` only when they count.
 */
export function horizonTrends(cells: readonly TrendCell[], options: TrendOptions): HorizonTrend[] {
  const agents = [...new Set(cells.map((c) => c.agent))];
  return agents.map((agent) => {
    const mine = cells.filter((c) => c.agent === agent).map((c) => ({ horizon: c.horizon, rows: rowsOf(c.groups) }));
    const used = mine.map((c) => ({ ...c, inc: ratio(c.rows) })).filter((c) => c.inc !== null);
    const xs = used.map((c) => Math.log2(c.horizon));
    const slope = olsSlope(xs, used.map((c) => c.inc!));
    return { agent, horizons: used.map((c) => c.horizon), slopePerDoubling: slope, ci: slope === null ? null : bootstrapSlope(agent, used, options) };
  });
}

function bootstrapSlope(agent: string, used: readonly { horizon: number; rows: Rows }[], options: TrendOptions): [number, number] | null {
  // One instance at a horizon has no between-instance spread to resample.
  if (options.resamples < 1 || used.some((c) => c.rows.length < 2)) return null;
  const rng = createRng(deriveSeed(options.seed, 'trend', agent));
  const draws: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  for (let b = 0; b < options.resamples; b++) {
    xs.length = 0;
    ys.length = 0;
    for (const c of used) {
      let v = 0;
      let e = 0;
      let f = 0;
      for (let i = 0; i < c.rows.length; i++) {
        const [rv, re, rf] = c.rows[rng.int(c.rows.length)];
        v += rv;
        e += re;
        f += rf;
      }
      const inc = incoherence(v, e, f);
      if (inc !== null) {
        xs.push(Math.log2(c.horizon));
        ys.push(inc);
      }
    }
    const s = xs.length === used.length ? olsSlope(xs, ys) : null;
    if (s !== null) draws.push(s);
  }
  if (draws.length === 0) return null;
  const sorted = Float64Array.from(draws).sort();
  return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
}
