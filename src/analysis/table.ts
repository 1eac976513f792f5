/**
 * Plain-text tables of an analysis: one row per agent × horizon. Pure
 * string building; the CLI prints the result.
 */
import type { AnalysisDocument, HorizonSummary } from './document.js';

/**
 * A number in `digits` significant figures, or "—" when null. Never
 * misleading at the ends: a value below 1 in magnitude never prints as 1
 * (0.99977 → "0.9998", more digits as needed), and a non-zero value never
 * prints as 0 (below 1e-3 it is in e-notation).
 */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  let d = digits;
  let s = String(Number(x.toPrecision(d)));
  while (a < 1 && Math.abs(Number(s)) >= 1 && d < 17) s = String(Number(x.toPrecision(++d)));
  return s;
}

/**
 * The significant figures that tell a point estimate and its interval apart:
 * `digits`, raised (up to 6) while the two ends would print alike though
 * they differ. One precision for all three, so "0.967 [0.97, 0.97]" cannot
 * happen.
 */
export function intervalDigits(iv: readonly [number, number] | null | undefined, digits = 3): number {
  let d = digits;
  while (iv && iv[0] !== iv[1] && fmt(iv[0], d) === fmt(iv[1], d) && d < 6) d++;
  return d;
}

/** "[lo, hi]" in `digits` significant figures (default: intervalDigits), or "" when null. */
export function fmtInterval(iv: readonly [number, number] | null | undefined, digits = intervalDigits(iv)): string {
  return iv ? `[${fmt(iv[0], digits)}, ${fmt(iv[1], digits)}]` : '';
}

/** "x [lo, hi]": the estimate and its interval in one precision. */
export function fmtEstimate(x: number | null | undefined, iv: readonly [number, number] | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const d = intervalDigits(iv);
  return `${fmt(x, d)} ${fmtInterval(iv, d)}`.trim();
}

/** pass^k in two decimals, except that a non-zero value never shows as 0.00 nor one below 1 as 1.00. */
export function fmtShare(x: number | null): string {
  if (x === null) return '—';
  const s = x.toFixed(2);
  if (x > 0 && s === '0.00') return x.toExponential(0);
  if (x < 1 && s === '1.00') return fmt(x);
  return s;
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
  return ks.map((k) => fmtShare(h.passK[k])).join(' ') || '—';
}

export function horizonRow(h: HorizonSummary): string[] {
  const inc = fmtEstimate(h.incoherence, h.ci.incoherence);
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
