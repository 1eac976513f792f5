/**
 * Two analyses side by side per agent × horizon: differences in
 * incoherence, bias², variance and pass^k, each checked against the
 * bootstrap noise floor. Pure: works on two AnalysisDocuments.
 */
import { HotmessError, canonicalJson } from '../core/index.js';
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
  /** Differences between the runs' scenarios that make the comparison less clean (same environment). */
  warnings: string[];
}

export interface CompareOptions {
  /** Called for each warning as it arises (the CLI prints them on stderr). */
  readonly onWarning?: (message: string) => void;
}

/** The outcome kind a run measured: the manifest's, else its first horizon's. */
const kindOf = (d: AnalysisDocument) => d.run.environment.outcomeKind ?? d.horizons.find((h) => h.outcomeKind !== null)?.outcomeKind ?? null;

/**
 * Refuse runs of different environments or outcome kinds: their metrics are
 * on different scales and a side-by-side would mislead. Same environment with
 * different scenarios (hash or environment params) is allowed, with warnings.
 */
export function checkComparable(a: AnalysisDocument, b: AnalysisDocument, dirs: { a: string; b: string }): string[] {
  const ea = a.run.environment;
  const eb = b.run.environment;
  const [ka, kb] = [kindOf(a), kindOf(b)];
  if (ea.name !== eb.name || ka !== kb) {
    const what = ea.name !== eb.name ? `environment "${ea.name}" vs "${eb.name}"` : `outcome kind ${ka ?? 'unknown'} vs ${kb ?? 'unknown'}`;
    throw new HotmessError('usage', `cannot compare ${dirs.a} with ${dirs.b}: ${what}; compare runs of the same environment and outcome kind`);
  }
  const warnings: string[] = [];
  if (canonicalJson(ea.params ?? null) !== canonicalJson(eb.params ?? null)) {
    warnings.push(`environment params differ (A ${canonicalJson(ea.params ?? null)}, B ${canonicalJson(eb.params ?? null)}): differences may come from the scenario, not the agents`);
  } else if (a.run.scenarioHash !== null && b.run.scenarioHash !== null && a.run.scenarioHash !== b.run.scenarioHash) {
    warnings.push(`scenario hashes differ (A ${a.run.scenarioHash}, B ${b.run.scenarioHash}): check horizons, instances and agents match what you mean to compare`);
  }
  return warnings;
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

/** Throws a usage HotmessError when the runs' environments or outcome kinds differ (see checkComparable). */
export function compareAnalyses(a: AnalysisDocument, b: AnalysisDocument, dirs: { a: string; b: string }, options: CompareOptions = {}): Comparison {
  const warnings = checkComparable(a, b, dirs);
  warnings.forEach((w) => options.onWarning?.(w));
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
  return { schema: COMPARE_SCHEMA, a: { name: a.run.name, dir: dirs.a }, b: { name: b.run.name, dir: dirs.b }, rule: NOISE_FLOOR_RULE, rows, unmatched, warnings };
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
