/**
 * Horizon search (metrics spec H6): find where an agent's success rate
 * crosses a target. Bracket by doubling the horizon, then bisect on log H;
 * at each probe add rollouts in batches until the Wilson interval of the
 * success rate excludes the target (a sequential test) or the probe's
 * share of the budget is spent. The stopping rule uses a 99% interval and
 * at least two batches: a probe is looked at after every batch and several
 * probes are tested, so a 95% rule would decide wrongly too often (an 8/8
 * fluke). Reported intervals are 95%. Pure logic over an injected `probe`, so the
 * same search drives the engine and is tested on planted success curves.
 */
import { wilsonInterval } from '../metrics/index.js';

export interface ProbeResult {
  readonly successes: number;
  readonly n: number;
}

export interface SearchOptions {
  readonly target: number;
  /** The smallest and largest horizon to consider. */
  readonly minHorizon: number;
  readonly maxHorizon: number;
  /** Whether the environment accepts a horizon (checkHorizon). */
  readonly valid: (h: number) => boolean;
  /** Total rollouts the search may spend. */
  readonly maxRollouts: number;
  /** Rollouts added at a probe per round of the sequential test; no decision before two batches. */
  readonly batch: number;
  /** Most rollouts at one probe. */
  readonly perProbe: number;
  /** Run `count` more rollouts at horizon h; resolves with those rollouts' successes. Returns n < count when a budget (cost) stopped it. */
  readonly probe: (h: number, count: number) => Promise<ProbeResult>;
}

export interface ProbeSummary {
  readonly horizon: number;
  readonly n: number;
  readonly successes: number;
  readonly rate: number | null;
  readonly interval: [number, number];
  /** above: the 99% interval (after two batches or more) is above the target; below: under it; undecided: the budget ran out first (side by the point estimate). */
  readonly verdict: 'above' | 'below' | 'undecided';
}

/** z of the 99% interval the stopping rule uses. */
export const DECIDE_Z = 2.5758;

export interface SearchResult {
  readonly target: number;
  /** The largest horizon found above the target, and the smallest found below it. */
  readonly lo: ProbeSummary | null;
  readonly hi: ProbeSummary | null;
  /** Where the rate crosses the target, interpolated on log H between lo and hi; null without both ends. */
  readonly h50: number | null;
  /**
   * The bracket with its uncertainty: the largest horizon whose interval is wholly above the target and
   * the smallest wholly below it (null when none was). An end of lo/hi that is undecided (budget spent)
   * sits inside this wider bracket.
   */
  readonly decided: { readonly lo: number | null; readonly hi: number | null };
  readonly probes: ProbeSummary[];
  readonly rollouts: number;
  /** Why the search stopped before the bracket was tight, if it did. */
  readonly stopped: string | null;
}

export async function searchHorizon(o: SearchOptions): Promise<SearchResult> {
  const state = new Map<number, { n: number; s: number }>();
  let spent = 0;
  let stopped: string | null = null;
  const summary = (h: number): ProbeSummary => {
    const { n, s } = state.get(h) ?? { n: 0, s: 0 };
    const interval = wilsonInterval(s, n);
    const strict = wilsonInterval(s, n, DECIDE_Z);
    const verdict = n < 2 * o.batch ? 'undecided' : strict[0] > o.target ? 'above' : strict[1] < o.target ? 'below' : 'undecided';
    return { horizon: h, n, successes: s, rate: n > 0 ? s / n : null, interval, verdict };
  };
  /** Sequential test at h; true when it stands above the target (decided, or by the point estimate). */
  const test = async (h: number): Promise<ProbeSummary> => {
    for (;;) {
      const cur = summary(h);
      if (cur.verdict !== 'undecided' && cur.n > 0) return cur;
      const count = Math.min(o.batch, Math.max(0, o.perProbe - cur.n), o.maxRollouts - spent);
      if (count <= 0) {
        if (o.maxRollouts - spent <= 0) stopped = `rollout budget of ${o.maxRollouts} spent`;
        return cur;
      }
      const r = await o.probe(h, count);
      spent += r.n;
      const st = state.get(h) ?? { n: 0, s: 0 };
      state.set(h, { n: st.n + r.n, s: st.s + r.successes });
      if (r.n < count) {
        stopped = stopped ?? 'a budget stopped the rollouts';
        return summary(h);
      }
    }
  };
  const above = (p: ProbeSummary) => p.verdict === 'above' || (p.verdict === 'undecided' && p.rate !== null && p.rate >= o.target);
  const nextValid = (h: number, limit: number): number | null => {
    for (let x = Math.max(1, Math.ceil(h)); x <= limit; x++) if (o.valid(x)) return x;
    return null;
  };

  let lo: ProbeSummary | null = null;
  let hi: ProbeSummary | null = null;
  // Bracket by doubling.
  let h = nextValid(o.minHorizon, o.maxHorizon);
  while (h !== null && stopped === null) {
    const p = await test(h);
    if (p.n === 0) break;
    if (above(p)) {
      lo = p;
      h = h >= o.maxHorizon ? null : nextValid(Math.min(2 * h, o.maxHorizon), o.maxHorizon);
      if (h !== null && h <= lo.horizon) h = null;
    } else {
      hi = p;
      break;
    }
  }
  // Bisect on log H while a valid horizon lies strictly between.
  while (lo && hi && stopped === null) {
    const mid = Math.sqrt(lo.horizon * hi.horizon);
    let m = nextValid(Math.round(mid), hi.horizon - 1);
    if (m === null || m <= lo.horizon) m = nextValid(lo.horizon + 1, hi.horizon - 1);
    if (m === null) break;
    const p = await test(m);
    if (p.n === 0) break;
    if (above(p)) lo = p;
    else hi = p;
  }
  const probes = [...state.keys()].sort((a, b) => a - b).map(summary);
  const decidedLo = probes.filter((p) => p.verdict === 'above').map((p) => p.horizon);
  const decidedHi = probes.filter((p) => p.verdict === 'below').map((p) => p.horizon);
  const decided = { lo: decidedLo.length > 0 ? Math.max(...decidedLo) : null, hi: decidedHi.length > 0 ? Math.min(...decidedHi) : null };
  return { target: o.target, lo, hi, h50: crossing(lo, hi, o.target), decided, probes, rollouts: spent, stopped };
}

/** log-linear interpolation of the rate between the bracket's ends. */
function crossing(lo: ProbeSummary | null, hi: ProbeSummary | null, target: number): number | null {
  if (!lo || !hi || lo.rate === null || hi.rate === null) return null;
  if (lo.rate === hi.rate) return Math.sqrt(lo.horizon * hi.horizon);
  const f = Math.min(1, Math.max(0, (lo.rate - target) / (lo.rate - hi.rate)));
  return Math.exp(Math.log(lo.horizon) + f * (Math.log(hi.horizon) - Math.log(lo.horizon)));
}

/** Horizons for a sweep around H50: log-spaced over [H50/4, 4·H50], each moved to the nearest valid horizon ≥ 1, distinct. */
export function suggestHorizons(h50: number, valid: (h: number) => boolean, maxHorizon: number, count = 5): number[] {
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    const x = h50 * 4 ** ((2 * i) / (count - 1) - 1);
    for (let d = 0; d < 4 * x + 8; d++) {
      const up = Math.round(x) + d;
      const down = Math.round(x) - d;
      const pick = [down, up].find((v) => v >= 1 && v <= Math.max(maxHorizon, 1) && valid(v));
      if (pick !== undefined) {
        out.add(pick);
        break;
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}
