/**
 * Plain-text tables of an analysis: one row per agent × horizon. Pure
 * string building; the CLI prints the result.
 */
import type { AnalysisDocument, HorizonSummary } from './document.js';

/** A number in 3 significant figures, or "—" when null. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

export function fmtInterval(iv: readonly [number, number] | null | undefined): string {
  return iv ? `[${fmt(iv[0], 2)}, ${fmt(iv[1], 2)}]` : '';
}

/** Align columns: by default the first column left, the rest right. */
export function renderColumns(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const left = (j: number) => (align ? align[j] === 'l' : j === 0);
  const line = (r: readonly string[]) => r.map((c, j) => (left(j) ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

function passCell(h: HorizonSummary): string {
  const ks = Object.keys(h.passK).sort((a, b) => Number(a) - Number(b));
  return ks.map((k) => (h.passK[k] === null ? '—' : h.passK[k]!.toFixed(2))).join(' ') || '—';
}

export function horizonRow(h: HorizonSummary): string[] {
  const inc = h.incoherence === null ? '—' : `${fmt(h.incoherence)} ${fmtInterval(h.ci.incoherence)}`.trim();
  const nPer = h.groups > 0 ? Math.round(h.rollouts / h.groups) : 0;
  return [
    h.agent,
    String(h.horizon),
    `${h.groups}×${nPer}`,
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

/** The analysis table printed by `hotmess analyze` without --json. */
export function renderAnalysisTable(doc: AnalysisDocument): string {
  const title = `${doc.run.name} · ${doc.run.environment.name} · seed ${doc.run.seed ?? '—'} · ${doc.counts.rollouts} rollouts (${doc.counts.errored} errored)`;
  if (doc.horizons.length === 0) return `${title}\n(no finished rollouts)`;
  const table = renderColumns(HORIZON_HEADER, doc.horizons.map(horizonRow));
  const kind = doc.horizons[0].outcomeKind ?? '—';
  return `${title}\noutcome: ${kind}; incoherence = Σ variance / Σ error over instances, CI from ${doc.settings.bootstrap} cluster-bootstrap resamples\n${table}`;
}
