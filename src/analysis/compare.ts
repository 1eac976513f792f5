/**
 * Two analyses side by side per agent × horizon: differences in
 * incoherence, bias², variance and pass^k, tested against the bootstrap
 * noise floor in families with Benjamini–Hochberg across them, so that
 * many correlated rows do not cry wolf (metrics.md H5). Pure: works on two
 * AnalysisDocuments.
 */
import { HotmessError, canonicalJson } from '../core/index.js';
import { benjaminiHochberg, twoSidedPStudent } from '../metrics/index.js';
import type { AnalysisDocument, HorizonSummary } from './document.js';
import { fmt } from './format.js';
import { renderColumns } from './table.js';

export const COMPARE_SCHEMA = 'hotmess.compare/2';

/** The false-discovery rate across families (metrics.md H5). */
export const COMPARE_Q = 0.05;

/** The rule, as printed in --help and the docs (metrics.md H5). */
export const NOISE_FLOOR_RULE =
  'each row is a test of B − A against σ = √(sA² + sB²), s = (w/1.96)·√(G/(G − 1)) from the half-width w of each run’s 95% cluster-bootstrap interval over its G instances, two-sided on Student’s t with Welch–Satterthwaite degrees of freedom (the normal as G grows); pass^1…k of one agent × horizon is one family (its smallest p times its size), every other metric × agent × horizon a family of one; Benjamini–Hochberg at q = 0.05 across families decides which differ; a family with no interval on either side is untested (docs/compare.md)';

export interface ComparisonRow {
  agent: string;
  horizon: number;
  metric: string;
  /** The family the row is tested in: "agent @ H=h: metric" (pass^k rows share one). */
  family: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  /** √(wA² + wB²): the noise floor the difference is read against. */
  floor: number | null;
  /** Two-sided p of the row's z = delta / (floor / 1.96); null when untested. */
  p: number | null;
  /** Whether the row's family differs beyond noise after Benjamini–Hochberg; null when untested. */
  differs: boolean | null;
}

export interface FamilyResult {
  family: string;
  agent: string;
  horizon: number;
  metric: string;
  size: number;
  /** Bonferroni within the family: min p × size, capped at 1; null when untested. */
  p: number | null;
  differs: boolean | null;
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  a: { name: string; dir: string };
  b: { name: string; dir: string };
  rule: string;
  /** families: tested; differ: declared different; untested: families with no interval. */
  summary: { families: number; differ: number; untested: number; q: number };
  families: FamilyResult[];
  rows: ComparisonRow[];
  /** Agent × horizon cells present in only one of the runs. */
  unmatched: { agent: string; horizon: number; only: 'a' | 'b' }[];
  /** Differences between the runs' scenarios that make the comparison less clean (same environment). */
  warnings: string[];
}

export interface CompareOptions {
  /** Called for each warning as it arises (the CLI prints them on stderr). */
  readonly onWarning?: (message: string) => void;
  /** Keep only rows of this metric: incoherence, biasSq, variance, error, passK (all k) or passK.k. */
  readonly metric?: string;
}

/** The metrics `--metric` accepts. */
export const COMPARE_METRICS = ['incoherence', 'biasSq', 'variance', 'passK'] as const;

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

/**
 * Difference B − A with its noise floor and two-sided p. The spec's test
 * (metrics.md H5) reads each 95% half-width w as 1.96 standard errors and
 * refers z to the normal. With few instances a percentile bootstrap is too
 * narrow (its variance is the plug-in one, short by (G − 1)/G) and the
 * normal too thin-tailed, which cries wolf at G = 5; so, given each side's
 * instance count G, each standard error is scaled by √(G/(G − 1)) and the
 * statistic is referred to Student's t with Welch–Satterthwaite degrees of
 * freedom. As G grows this is the spec's test (docs/compare.md).
 */
export function compareValue(a: number | null, b: number | null, ia: Iv, ib: Iv, ga = Infinity, gb = Infinity): Pick<ComparisonRow, 'delta' | 'floor' | 'p'> {
  const delta = a === null || b === null ? null : b - a;
  const floor = ia && ib ? Math.hypot((ia[1] - ia[0]) / 2, (ib[1] - ib[0]) / 2) : null;
  let p: number | null = null;
  if (delta !== null && ia && ib) {
    const se = (iv: readonly [number, number], g: number) => ((iv[1] - iv[0]) / 2 / 1.96) * (Number.isFinite(g) && g > 1 ? Math.sqrt(g / (g - 1)) : 1);
    const [sa, sb] = [se(ia, ga), se(ib, gb)];
    const sigma = Math.hypot(sa, sb);
    // Both intervals degenerate: equal values are the same, unequal ones differ for certain.
    if (!(sigma > 0)) p = delta === 0 ? 1 : 0;
    else {
      const part = (s: number, g: number) => (Number.isFinite(g) && g > 1 ? s ** 4 / (g - 1) : 0);
      const denom = part(sa, ga) + part(sb, gb);
      p = twoSidedPStudent(delta / sigma, denom > 0 ? sigma ** 4 / denom : Infinity);
    }
  }
  return { delta, floor, p };
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

const familyMetric = (metric: string) => (metric.startsWith('passK.') ? 'passK' : metric);

function wanted(metric: string, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  return filter === metric || (filter === 'passK' && metric.startsWith('passK.'));
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
    for (const m of metricsOf(ha, hb)) {
      if (!wanted(m.metric, options.metric)) continue;
      const family = `${ha.agent} @ H=${ha.horizon}: ${familyMetric(m.metric)}`;
      rows.push({ agent: ha.agent, horizon: ha.horizon, metric: m.metric, family, a: m.a, b: m.b, ...compareValue(m.a, m.b, m.ia, m.ib, ha.groups, hb.groups), differs: null });
    }
  }
  for (const hb of b.horizons) if (!inA.has(key(hb))) unmatched.push({ agent: hb.agent, horizon: hb.horizon, only: 'b' });
  const families = testFamilies(rows);
  return {
    schema: COMPARE_SCHEMA,
    a: { name: a.run.name, dir: dirs.a },
    b: { name: b.run.name, dir: dirs.b },
    rule: NOISE_FLOOR_RULE,
    summary: {
      families: families.filter((f) => f.p !== null).length,
      differ: families.filter((f) => f.differs).length,
      untested: families.filter((f) => f.p === null).length,
      q: COMPARE_Q,
    },
    families,
    rows,
    unmatched,
    warnings,
  };
}

/** Families from rows (in row order), Bonferroni within, Benjamini–Hochberg across; marks each row with its family's verdict. */
function testFamilies(rows: ComparisonRow[]): FamilyResult[] {
  const byName = new Map<string, ComparisonRow[]>();
  for (const r of rows) byName.set(r.family, [...(byName.get(r.family) ?? []), r]);
  const families: FamilyResult[] = [...byName].map(([family, members]) => {
    const ps = members.map((r) => r.p).filter((p): p is number => p !== null);
    const p = ps.length > 0 ? Math.min(1, Math.min(...ps) * members.length) : null;
    return { family, agent: members[0].agent, horizon: members[0].horizon, metric: familyMetric(members[0].metric), size: members.length, p, differs: null };
  });
  const verdicts = benjaminiHochberg(families.map((f) => f.p), COMPARE_Q);
  families.forEach((f, i) => (f.differs = f.p === null ? null : verdicts[i]));
  const verdictOf = new Map(families.map((f) => [f.family, f.differs]));
  for (const r of rows) r.differs = verdictOf.get(r.family) ?? null;
  return families;
}

const METRIC_WORDS: Record<string, string> = { incoherence: 'incoherence', biasSq: 'bias²', variance: 'variance' };
const metricWords = (m: string) => METRIC_WORDS[m] ?? m.replace(/^passK\.(\d+)$/, 'pass^$1');

/** The largest differences beyond noise, in words, largest |z| first. */
export function largestDifferences(c: Comparison, limit = 3): string[] {
  const z = (r: ComparisonRow) => (r.delta !== null && r.floor ? Math.abs(r.delta) / r.floor : r.delta ? Infinity : 0);
  const best = new Map<string, ComparisonRow>();
  for (const r of c.rows) {
    if (!r.differs) continue;
    const cur = best.get(r.family);
    if (!cur || z(r) > z(cur)) best.set(r.family, r);
  }
  return [...best.values()]
    .sort((x, y) => z(y) - z(x))
    .slice(0, limit)
    .map((r) => {
      const d = r.delta!;
      return `${r.agent} @ H=${r.horizon}: ${metricWords(r.metric)} ${fmt(r.a)} → ${fmt(r.b)} (${d > 0 ? '+' : '−'}${fmt(Math.abs(d))}, p = ${fmt(r.p, 2)})`;
    });
}

/** The first line of `hotmess compare`. */
export function summaryLine(c: Comparison): string {
  const untested = c.summary.untested > 0 ? `; ${c.summary.untested} untested (no interval)` : '';
  return `compare: ${c.summary.differ} of ${c.summary.families} families differ beyond noise (Benjamini–Hochberg, q = ${c.summary.q})${untested}`;
}

export interface RenderCompareOptions {
  /** Only the rows of families that differ. */
  readonly onlyChanged?: boolean;
}

export function renderComparison(c: Comparison, options: RenderCompareOptions = {}): string {
  const head = [summaryLine(c), ...largestDifferences(c).map((l) => `  ${l}`), `A = ${c.a.name} (${c.a.dir})`, `B = ${c.b.name} (${c.b.dir})`];
  const shown = options.onlyChanged ? c.rows.filter((r) => r.differs) : c.rows;
  const rows = shown.map((r) => [
    r.agent,
    String(r.horizon),
    metricWords(r.metric),
    fmt(r.a),
    fmt(r.b),
    r.delta === null ? '—' : (r.delta > 0 ? '+' : '') + fmt(r.delta),
    fmt(r.p, 2),
    r.differs === null ? '?' : r.differs ? 'yes' : 'no',
  ]);
  const empty = c.rows.length === 0 ? '(no agent × horizon in common)' : '(no family differs beyond noise)';
  const table = rows.length > 0 ? renderColumns(['agent', 'H', 'metric', 'A', 'B', 'B − A', 'p', 'differs'], rows) : empty;
  const extra = c.unmatched.map((u) => `only in ${u.only.toUpperCase()}: ${u.agent} @ H=${u.horizon}`);
  return [...head, table, ...extra, `rule: ${c.rule}`].join('\n');
}
