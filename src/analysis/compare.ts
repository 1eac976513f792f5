/**
 * Two analyses side by side per agent × horizon: differences in
 * incoherence, bias², variance and pass^k, each checked against the
 * bootstrap noise floor. Pure: works on two AnalysisDocuments.
 */
import type { AnalysisDocument, HorizonSummary } from './document.js';
import { fmt, renderColumns } from './table.js';

export const COMPARE_SCHEMA = 'hotmess.compare/1';

/** The noise-floor rule, as printed in --help and the docs. */
export const NOISE_FLOOR_RULE =
  'a difference exceeds the noise floor when |B − A| > √(wA² + wB²), where w is half the width of each run’s 95% cluster-bootstrap interval (independent runs, normal approximation); with no interval on either side it is undecided (null)';

export interface ComparisonRow {
  agent: string;
  horizon: number;
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  floor: number | null;
  exceeds: boolean | null;
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  a: { name: string; dir: string };
  b: { name: string; dir: string };
  rule: string;
  rows: ComparisonRow[];
  /** Agent × horizon cells present in only one of the runs. */
  unmatched: { agent: string; horizon: number; only: 'a' | 'b' }[];
}

type Iv = readonly [number, number] | null | undefined;

/** Difference B − A with its noise floor and verdict. */
export function compareValue(a: number | null, b: number | null, ia: Iv, ib: Iv): Pick<ComparisonRow, 'delta' | 'floor' | 'exceeds'> {
  const delta = a === null || b === null ? null : b - a;
  const floor = ia && ib ? Math.hypot((ia[1] - ia[0]) / 2, (ib[1] - ib[0]) / 2) : null;
  return { delta, floor, exceeds: delta === null || floor === null ? null : Math.abs(delta) > floor };
}

interface Pair {
  metric: string;
  a: number | null;
  b: number | null;
  ia: Iv;
  ib: Iv;
}

function metricsOf(a: HorizonSummary, b: HorizonSummary): Pair[] {
  const out: Pair[] = (['incoherence', 'biasSq', 'variance'] as const).map((m) => ({ metric: m, a: a[m], b: b[m], ia: a.ci[m], ib: b.ci[m] }));
  const ks = [...new Set([...Object.keys(a.passK), ...Object.keys(b.passK)])].sort((x, y) => Number(x) - Number(y));
  for (const k of ks) out.push({ metric: `passK.${k}`, a: a.passK[k] ?? null, b: b.passK[k] ?? null, ia: a.ci[`passK.${k}`], ib: b.ci[`passK.${k}`] });
  return out;
}

export function compareAnalyses(a: AnalysisDocument, b: AnalysisDocument, dirs: { a: string; b: string }): Comparison {
  const key = (h: HorizonSummary) => `${h.agent}\u0000${h.horizon}`;
  const inB = new Map(b.horizons.map((h) => [key(h), h]));
  const inA = new Set(a.horizons.map(key));
  const rows: ComparisonRow[] = [];
  const unmatched: Comparison['unmatched'] = [];
  for (const ha of a.horizons) {
    const hb = inB.get(key(ha));
    if (!hb) {
      unmatched.push({ agent: ha.agent, horizon: ha.horizon, only: 'a' });
      continue;
    }
    for (const m of metricsOf(ha, hb)) rows.push({ agent: ha.agent, horizon: ha.horizon, metric: m.metric, a: m.a, b: m.b, ...compareValue(m.a, m.b, m.ia, m.ib) });
  }
  for (const hb of b.horizons) if (!inA.has(key(hb))) unmatched.push({ agent: hb.agent, horizon: hb.horizon, only: 'b' });
  return { schema: COMPARE_SCHEMA, a: { name: a.run.name, dir: dirs.a }, b: { name: b.run.name, dir: dirs.b }, rule: NOISE_FLOOR_RULE, rows, unmatched };
}

export function renderComparison(c: Comparison): string {
  const head = `A = ${c.a.name} (${c.a.dir})\nB = ${c.b.name} (${c.b.dir})`;
  const rows = c.rows.map((r) => [
    r.agent,
    String(r.horizon),
    r.metric,
    fmt(r.a),
    fmt(r.b),
    r.delta === null ? '—' : (r.delta > 0 ? '+' : '') + fmt(r.delta),
    fmt(r.floor),
    r.exceeds === null ? '?' : r.exceeds ? 'yes' : 'no',
  ]);
  const table = rows.length > 0 ? renderColumns(['agent', 'H', 'metric', 'A', 'B', 'B − A', 'noise floor', 'beyond noise'], rows) : '(no agent × horizon in common)';
  const extra = c.unmatched.map((u) => `only in ${u.only.toUpperCase()}: ${u.agent} @ H=${u.horizon}`);
  return [head, table, ...extra, `rule: ${c.rule}`].join('\n');
}
