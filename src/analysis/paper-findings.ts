/**
 * The paper's findings as checks on analysed runs of scenarios/paper/:
 * each names its claim, what was measured (with its 95% interval) and
 * whether the direction holds, decided by the interval, never by the
 * point estimate alone. Pure: an AnalysisDocument in, a Finding out.
 */
import type { AnalysisDocument, HorizonSummary } from './document.js';
import { VERDICTS } from './scaling.js';
import { fmt, fmtEstimate } from './format.js';

export interface Finding {
  readonly scenario: string;
  readonly claim: string;
  readonly measured: string;
  readonly holds: boolean;
}

type Check = (doc: AnalysisDocument) => { measured: string; holds: boolean };

const row = (doc: AnalysisDocument, agent: string, horizon?: number): HorizonSummary => {
  const r = doc.horizons.find((h) => h.agent === agent && (horizon === undefined || h.horizon === horizon));
  if (!r) throw new Error(`${doc.run.name}: no analysis row for agent ${agent}${horizon === undefined ? '' : ` at H = ${horizon}`}`);
  return r;
};

/** The scenario names of scenarios/paper/ and what each must show. */
export const FINDINGS: Readonly<Record<string, { claim: string; check: Check }>> = {
  'paper-incoherence-horizon': {
    claim: 'incoherence rises with the horizon (drifting: the noise grows with t, the fixed deviations do not)',
    check(doc) {
      const t = doc.trends.find((x) => x.agent === 'drifting');
      if (!t) return { measured: 'no trend for agent drifting', holds: false };
      return { measured: `slope of incoherence per doubling of H ${fmtEstimate(t.slopePerDoubling, t.ci)} over H = ${t.horizons.join(', ')}`, holds: t.ci !== null && t.ci[0] > 0 };
    },
  },
  'paper-ensemble': {
    claim: 'ensembling cuts variance: a per-step vote of 9 draws has less variance than one draw',
    check(doc) {
      const [one, nine] = [row(doc, 'E1'), row(doc, 'E9')];
      const [a, b] = [one.ci.variance, nine.ci.variance];
      const bias = `bias² ${fmt(one.biasSq)} → ${fmt(nine.biasSq)}`;
      return { measured: `variance E=1 ${fmtEstimate(one.variance, a)}, E=9 ${fmtEstimate(nine.variance, b)}; ${bias}`, holds: !!a && !!b && b[1] < a[0] };
    },
  },
  'paper-scale-ladder': {
    claim: 'with scale, bias falls faster than variance (the interval of Δ = β_bias − β_variance is below 0)',
    check(doc) {
      const e = doc.scaling.find((x) => x.family === 'ladder' && x.horizon === null);
      if (!e) return { measured: 'no scaling entry for family ladder', holds: false };
      return {
        measured: `β bias² ${fmtEstimate(e.betaBias, e.ci.betaBias)}, β variance ${fmtEstimate(e.betaVariance, e.ci.betaVariance)}, Δ ${fmtEstimate(e.delta, e.ci.delta)}: ${e.verdict}`,
        holds: e.verdict === VERDICTS.bias,
      };
    },
  },
  'paper-quadratic': {
    claim: 'on the quadratic optimiser, the noisy agent is incoherent and the biased one is not, at every horizon',
    check(doc) {
      const horizons = [...new Set(doc.horizons.map((h) => h.horizon))];
      const parts = horizons.map((H) => {
        const [n, b] = [row(doc, 'noisy', H), row(doc, 'biased', H)];
        const [x, y] = [n.ci.incoherence, b.ci.incoherence];
        return { text: `H=${H}: noisy ${fmtEstimate(n.incoherence, x)}, biased ${fmtEstimate(b.incoherence, y)}`, holds: !!x && !!y && x[0] > y[1] };
      });
      return { measured: parts.map((p) => p.text).join('; '), holds: parts.length > 0 && parts.every((p) => p.holds) };
    },
  },
};

export function paperFinding(doc: AnalysisDocument): Finding {
  const f = FINDINGS[doc.run.name];
  if (!f) throw new Error(`${doc.run.name}: not a scenario of scenarios/paper/ (known: ${Object.keys(FINDINGS).join(', ')})`);
  return { scenario: doc.run.name, claim: f.claim, ...f.check(doc) };
}
