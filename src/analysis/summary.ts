/**
 * One sentence per agent that answers the paper's question from the
 * numbers: how incoherence moves with the horizon, where rollouts split, and
 * which error dominates. Degenerate cases are said in words rather than left
 * as a 0 or a "—" to decode. Pure: reads an AnalysisDocument.
 */
import type { AnalysisDocument, HorizonSummary, HorizonTrend } from './document.js';
import { fmt, intervalDigits } from './format.js';

/** Fewer instances than this make a percentile interval too coarse to read as exact (also marks the table). */
export const ROUGH_CI_INSTANCES = 5;

/** "+0.03", "−0.02", "0": a signed figure with a real minus sign. */
function signed(x: number, digits: number): string {
  if (x === 0) return '0';
  return (x > 0 ? '+' : '−') + fmt(Math.abs(x), digits);
}

function slopeText(slope: number, ci: readonly [number, number] | null): string {
  const d = intervalDigits(ci, 2);
  const iv = ci ? ` [${signed(ci[0], d)}, ${signed(ci[1], d)}]` : '';
  return `slope ${signed(slope, d)}${iv} per doubling`;
}

const span = (hs: readonly number[]) => (hs.length === 1 ? `H = ${hs[0]}` : `H = ${hs[0]}…${hs[hs.length - 1]}`);

const finalSurvival = (h: HorizonSummary): number | null => {
  for (let i = h.steps.length - 1; i >= 0; i--) if (h.steps[i].survival !== null) return h.steps[i].survival;
  return null;
};

/** How incoherence moves with the horizon, or why it says nothing. */
function incoherencePart(cells: readonly HorizonSummary[], trend: HorizonTrend | undefined): string {
  const defined = cells.filter((h) => h.incoherence !== null);
  if (defined.length === 0) {
    return cells.every((h) => h.error === 0 || h.error === null)
      ? 'every rollout matched the reference, so there is no error to split (incoherence undefined)'
      : 'too few rollouts per instance to split the error (incoherence undefined)';
  }
  if (defined.every((h) => h.variance === 0)) {
    const split = defined.some((h) => (finalSurvival(h) ?? 1) < 1);
    const allFailed = defined.every((h) => h.passK['1'] === 0);
    if (split && allFailed) return 'every rollout failed, and their outcomes coincide: incoherence is 0 by arithmetic, not coherence';
    if (split) return 'rollouts took different paths to the same outcome: incoherence is 0 at the outcome, though the paths diverge';
    return 'rollouts of an instance are all identical: incoherence is 0 and the error is all bias';
  }
  const rough = defined.some((h) => h.ci.incoherence !== null && h.groups < ROUGH_CI_INSTANCES) ? `; intervals from fewer than ${ROUGH_CI_INSTANCES} instances are rough` : '';
  if (defined.length === 1 || !trend || trend.slopePerDoubling === null) {
    const h = defined[defined.length - 1];
    const d = intervalDigits(h.ci.incoherence);
    const iv = h.ci.incoherence ? ` [${fmt(h.ci.incoherence[0], d)}, ${fmt(h.ci.incoherence[1], d)}]` : '';
    return `incoherence ${fmt(h.incoherence, d)}${iv} at H = ${h.horizon}${defined.length === 1 ? ' (one horizon: no trend)' : ''}${rough}`;
  }
  const slope = trend.slopePerDoubling;
  const where = span(trend.horizons);
  const s = slopeText(slope, trend.ci);
  if (!trend.ci) return `incoherence moves ${slope > 0 ? 'up' : 'down'} over ${where} (${s}; no interval: one instance per horizon)`;
  if (trend.ci[0] > 0) return `incoherence rises with the horizon over ${where} (${s})${rough}`;
  if (trend.ci[1] < 0) return `incoherence falls with the horizon over ${where} (${s})${rough}`;
  return `incoherence is flat within noise over ${where} (${s})${rough}`;
}

/** Where pairs of rollouts split, from the longest horizon that tells. */
function splitPart(cells: readonly HorizonSummary[]): string | null {
  const withHalf = cells.filter((h) => h.halfLife !== null);
  if (withHalf.length > 0) return `pairs split at t½ ≈ ${fmt(withHalf[withHalf.length - 1].halfLife, 2)}`;
  if (cells.every((h) => h.q === 1)) return 'rollouts never split';
  const longest = cells[cells.length - 1];
  return longest.q !== null ? `fewer than half the pairs split within H = ${longest.horizon}` : null;
}

/** Which error term carries the most, pooled over the agent's horizons. */
function dominancePart(cells: readonly HorizonSummary[]): string | null {
  const b = cells.reduce((s, h) => s + (h.biasSq ?? 0), 0);
  const v = cells.reduce((s, h) => s + (h.variance ?? 0), 0);
  if (!(b + v > 0)) return null;
  const share = v / (b + v);
  if (share >= 2 / 3) return 'variance dominates';
  if (share <= 1 / 3) return 'bias dominates';
  return 'bias and variance are comparable';
}

export function describeAgent(doc: AnalysisDocument, agent: string): string {
  const cells = doc.horizons.filter((h) => h.agent === agent).sort((a, b) => a.horizon - b.horizon);
  if (cells.length === 0 || cells.every((h) => h.rollouts === 0)) return `${agent}: no finished rollouts.`;
  const trend = doc.trends.find((t) => t.agent === agent);
  const parts = [incoherencePart(cells, trend), splitPart(cells), dominancePart(cells)].filter((p): p is string => p !== null);
  return `${agent}: ${parts.join('; ')}.`;
}

/** One sentence per agent, in the analysis's agent order. */
export function summarizeAgents(doc: AnalysisDocument): string[] {
  const agents = [...new Set(doc.horizons.map((h) => h.agent))];
  return agents.map((a) => describeAgent(doc, a));
}
