/**
 * Plain-text tables of an analysis: one row per agent × horizon. Pure
 * string building; the CLI prints the result.
 */
import type { AnalysisDocument, HorizonSummary, ScalingEntry } from './document.js';
import { fmt, fmtEstimate, fmtShare } from './format.js';
import { ROUGH_CI_INSTANCES, summarizeAgents } from './summary.js';
import { displayWidth, padEndCols, padStartCols, truncateCols } from './text-width.js';

/** Align columns by display width: by default the first column left, the rest right. */
export function renderColumns(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[], gap = 2): string {
  const widths = header.map((h, j) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[j] ?? ''))));
  const left = (j: number) => (align ? align[j] === 'l' : j === 0);
  const sep = ' '.repeat(gap);
  const line = (r: readonly string[]) => r.map((c, j) => (left(j) ? padEndCols(c, widths[j]) : padStartCols(c, widths[j]))).join(sep).trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Greedy word wrap to `width` columns; continuation lines start with `indent`. */
export function wrapText(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    const next = cur === '' ? word : `${cur} ${word}`;
    if (cur !== '' && displayWidth(next) > width) {
      lines.push(cur);
      cur = indent + word;
    } else cur = next;
  }
  if (cur !== '') lines.push(cur);
  return lines.join('\n');
}

function passCell(h: HorizonSummary): string {
  const ks = Object.keys(h.passK).sort((a, b) => Number(a) - Number(b));
  return ks.map((k) => fmtShare(h.passK[k])).join(' ') || '—';
}

export function horizonRow(h: HorizonSummary): string[] {
  const inc = fmtEstimate(h.incoherence, h.ci.incoherence);
  return [
    h.agent,
    String(h.horizon),
    sizeCell(h),
    inc,
    fmt(h.biasSq),
    fmt(h.variance),
    passCell(h),
    fmt(h.stepAccuracy),
    fmt(h.h50Observed),
    fmt(h.h50Predicted),
    fmt(h.q),
    fmt(h.halfLife),
    fmt(h.growthExponent),
    fmt(h.hazardSlope),
  ];
}

export const HORIZON_HEADER = ['agent', 'H', 'inst×N', 'incoherence [95% CI]', 'bias²', 'variance', 'pass^1…pass^k', 'p̂', 'H50 obs', 'H50 pred', 'q̂', 't½', 'growth b', 'hazard slope'];

function sizeCell(h: HorizonSummary): string {
  return `${h.groups}×${h.groups > 0 ? Math.round(h.rollouts / h.groups) : 0}`;
}

/** The largest k every row has a pass^k for (≥ 1), so one header names it. */
function commonK(doc: AnalysisDocument): number {
  const ks = doc.horizons.map((h) => Math.max(0, ...Object.keys(h.passK).map(Number).filter((k) => h.passK[String(k)] !== null)));
  return Math.max(1, Math.min(...ks));
}

interface Column {
  readonly header: string;
  readonly align: 'l' | 'r';
  readonly cell: (h: HorizonSummary) => string;
}

/** The headline columns, most important first: fitting a narrow terminal drops from the end. */
function headlineColumns(doc: AnalysisDocument): Column[] {
  const k = commonK(doc);
  return [
    { header: 'agent', align: 'l', cell: (h) => h.agent },
    { header: 'H', align: 'r', cell: (h) => String(h.horizon) },
    { header: 'inst×N', align: 'r', cell: sizeCell },
    {
      header: 'incoherence [95% CI]',
      align: 'r',
      cell: (h) => fmtEstimate(h.incoherence, h.ci.incoherence) + (h.ci.incoherence && h.groups < ROUGH_CI_INSTANCES ? '*' : ''),
    },
    { header: 'bias²', align: 'r', cell: (h) => fmt(h.biasSq) },
    { header: 'variance', align: 'r', cell: (h) => fmt(h.variance) },
    { header: 'pass^1', align: 'r', cell: (h) => fmtShare(h.passK['1'] ?? null) },
    ...(k > 1 ? [{ header: `pass^${k}`, align: 'r' as const, cell: (h: HorizonSummary) => fmtShare(h.passK[String(k)] ?? null) }] : []),
    { header: 'H50', align: 'r', cell: (h) => (h.h50Observed !== null ? fmt(h.h50Observed) : h.h50Predicted !== null ? `≈${fmt(h.h50Predicted)}` : '—') },
    { header: 't½', align: 'r', cell: (h) => fmt(h.halfLife) },
  ];
}

export interface TableLayout {
  /** Columns to fit (display columns); default 100. See targetWidth. */
  readonly width?: number;
  /** Every column, whatever the width (`analyze --wide`). */
  readonly wide?: boolean;
}

/**
 * The headline table fitted to `width`: two-space gaps, then one, then agent
 * names cut with "…", then the least important columns dropped.
 */
function fittedTable(doc: AnalysisDocument, width: number): { table: string; dropped: string[] } {
  let cols = headlineColumns(doc);
  const dropped: string[] = [];
  for (;;) {
    const header = cols.map((c) => c.header);
    const rows = doc.horizons.map((h) => cols.map((c) => c.cell(h)));
    const align = cols.map((c) => c.align);
    for (const gap of [2, 1]) {
      const table = renderColumns(header, rows, align, gap);
      if (widest(table) <= width) return { table, dropped };
    }
    // Cut agent names, down to 10 columns, before giving up a column.
    const over = widest(renderColumns(header, rows, align, 1)) - width;
    const agentWidth = Math.max(...rows.map((r) => displayWidth(r[0])));
    if (agentWidth - over >= 10) {
      const cut = rows.map((r) => [truncateCols(r[0], agentWidth - over), ...r.slice(1)]);
      return { table: renderColumns(header, cut, align, 1), dropped };
    }
    if (cols.length <= 4) return { table: renderColumns(header, rows, align, 1), dropped };
    dropped.unshift(cols[cols.length - 1].header);
    cols = cols.slice(0, -1);
  }
}

const widest = (text: string) => Math.max(...text.split('\n').map(displayWidth));

/**
 * The analysis printed by `hotmess analyze` without --json: a title, one
 * sentence per agent that answers the paper's question, then the headline
 * table fitted to the terminal (or every column with `wide`), then a legend.
 */
export function renderAnalysisTable(doc: AnalysisDocument, layout: TableLayout = {}): string {
  const width = layout.width ?? 100;
  const title = `${doc.run.name} · ${doc.run.environment.name} · seed ${doc.run.seed ?? '—'} · ${doc.counts.rollouts} rollouts (${doc.counts.errored} errored)`;
  if (doc.horizons.length === 0) return `${title}\n(no finished rollouts)`;
  const sentences = summarizeAgents(doc).map((s) => wrapText(s, width, '  '));
  const kind = doc.horizons[0].outcomeKind ?? '—';
  const legend = [`outcome: ${kind}; incoherence = Σ variance / Σ error over instances; 95% CI from ${doc.settings.bootstrap} cluster-bootstrap resamples over instances`];
  let table: string;
  if (layout.wide) table = renderColumns(HORIZON_HEADER, doc.horizons.map(horizonRow));
  else {
    const fitted = fittedTable(doc, width);
    table = fitted.table;
    legend.push('H50: the horizon at 50% task accuracy, observed (≈: predicted from p̂); t½: steps until half the pairs of rollouts have split');
    if (doc.horizons.some((h) => h.ci.incoherence && h.groups < ROUGH_CI_INSTANCES)) legend.push(`*: interval from fewer than ${ROUGH_CI_INSTANCES} instances; read it as rough`);
    legend.push(fitted.dropped.length > 0 ? `not shown at this width: ${fitted.dropped.join(', ')}; --wide shows every column` : '--wide shows every column (p̂, q̂, growth, hazard slope, pass^1…k)');
  }
  const scaling = doc.scaling.length > 0 ? ['', renderScalingTable(doc.scaling)] : [];
  const model = modelUncertaintyLines(doc).map((l) => wrapText(l, width, '  '));
  return [title, ...sentences, '', table, ...legend.map((l) => wrapText(l, width, '  ')), ...scaling, ...model].join('\n');
}

export const SCALING_HEADER = ['family', 'H', 'scales', 'β bias² [95% CI]', 'β variance [95% CI]', 'β incoherence', 'Δ = β_B − β_V [95% CI]', 'verdict'];

/** The scaling slopes (metrics spec H2): one row per family × horizon, then the family pooled over horizons (H "all"). */
export function renderScalingTable(entries: readonly ScalingEntry[]): string {
  const rows = entries.map((e) => [
    e.family,
    e.horizon === null ? 'all' : String(e.horizon),
    e.used.biasSq === e.points && e.used.variance === e.points ? String(e.points) : `${e.points} (fit ${e.used.biasSq}/${e.used.variance})`,
    fmtEstimate(e.betaBias, e.ci.betaBias),
    fmtEstimate(e.betaVariance, e.ci.betaVariance),
    fmt(e.betaIncoherence),
    fmtEstimate(e.delta, e.ci.delta),
    e.verdict,
  ]);
  return `scaling: log-log slopes against scale; a direction is stated only when the CI of Δ excludes 0\n${renderColumns(SCALING_HEADER, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'])}`;
}

/** metrics.md H4, one line per agent × horizon: the model's mean entropy and ρ(H_model, hazard) per instance. */
function modelUncertaintyLines(doc: AnalysisDocument): string[] {
  if ((doc.modelUncertainty ?? []).length === 0) return [];
  const cells = new Map<string, typeof doc.modelUncertainty>();
  for (const g of doc.modelUncertainty) {
    const k = `${g.agent}@H=${g.horizon}`;
    cells.set(k, [...(cells.get(k) ?? []), g]);
  }
  const lines = ['model uncertainty (logprobs): mean H_model over steps, and Spearman ρ(H_model(t), hazard h(t)) per instance with 95% CI'];
  for (const [k, gs] of cells) {
    const ents = gs.flatMap((g) => g.steps.map((s) => s.meanEntropy)).filter((v): v is number => v !== null);
    const mean = ents.length > 0 ? fmt(ents.reduce((a, b) => a + b, 0) / ents.length) : '—';
    const rhos = gs.map((g) => `${g.instance}: ${g.rho === null ? '—' : fmt(g.rho)}${g.ci.rho ? ` [${fmt(g.ci.rho[0])}, ${fmt(g.ci.rho[1])}]` : ''}`);
    lines.push(`${k}: H_model ${mean} bits; ρ ${rhos.join('; ')}`);
  }
  return lines;
}
