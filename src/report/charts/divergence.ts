/**
 * Divergence against step: survival S(t), hazard h(t), action agreement and
 * state divergence, one chart per measure, one panel per agent, colour =
 * horizon. Null points are dropped. Pure.
 */
import type { AnalysisDocument, PooledStep } from '../../analysis/index.js';
import { chartOrSkip, HORIZON_COLOR, isNum, noCharts, perAgent, stepAxis, type ChartFamily, type ChartOptions } from './common.js';

interface Measure {
  readonly id: string;
  readonly field: keyof PooledStep;
  readonly axis: string;
  readonly title: string;
  readonly caption: string;
  readonly unitInterval: boolean;
}

const MEASURES: readonly Measure[] = [
  {
    id: 'survival',
    field: 'survival',
    axis: 'survival S(t)',
    title: 'Survival: chance two rollouts have not diverged by step t',
    caption: 'S(t) is the fraction of rollout pairs with identical action prefixes through step t. Memoryless noise gives geometric decay S(t) = qᵗ; a faster fall means errors compound.',
    unitInterval: true,
  },
  {
    id: 'hazard',
    field: 'hazard',
    axis: 'hazard h(t)',
    title: 'Hazard: chance a pair still together at t−1 splits at t',
    caption: 'h(t) = 1 − S(t)/S(t−1). A flat hazard is memoryless noise; a rising hazard means early errors make later ones likelier.',
    unitInterval: true,
  },
  {
    id: 'action-agreement',
    field: 'actionAgreement',
    axis: 'action agreement',
    title: 'Action agreement among alive rollouts at step t',
    caption: 'The chance that two distinct rollouts alive at t took the same action at t.',
    unitInterval: true,
  },
  {
    id: 'state-divergence',
    field: 'stateDivergence',
    axis: 'state divergence',
    title: 'State divergence at step t',
    caption: 'Mean pairwise squared distance between state features, or the fraction of pairs whose states differ when the environment gives only a hash.',
    unitInterval: false,
  },
];

/** Closer than this at every point (4 px of a 170 px panel), a chart would repeat another to the eye. */
export const REPEAT_TOLERANCE = 0.025;

/** The largest gap between two series over the same (agent, horizon, t) points; null when their points differ. */
function largestGap(a: readonly Point[], b: readonly Point[]): number | null {
  if (a.length !== b.length) return null;
  const key = (p: Point) => `${p.agent}\u0000${p.horizon}\u0000${p.t}`;
  const inB = new Map(b.map((p) => [key(p), p.value]));
  let gap = 0;
  for (const p of a) {
    const v = inB.get(key(p));
    if (v === undefined) return null;
    gap = Math.max(gap, Math.abs(v - p.value));
  }
  return gap;
}

interface Point {
  agent: string;
  horizon: number;
  t: number;
  value: number;
}

/** Charts that would only repeat an earlier one, with what the coincidence means. */
const REPEATS: Readonly<Record<string, { of: string; why: string }>> = {
  'action-agreement': { of: 'survival', why: 'rollouts that split (almost) never take the same action again here, so agreement among alive rollouts is S(t)' },
};

export function divergenceCharts(doc: AnalysisDocument, opts: ChartOptions = {}): ChartFamily {
  const out = noCharts();
  const drawn = new Map<string, Point[]>();
  for (const m of MEASURES) {
    const values: Point[] = [];
    for (const row of doc.horizons) {
      for (const s of row.steps) {
        const v = s[m.field];
        if (isNum(v)) values.push({ agent: row.agent, horizon: row.horizon, t: s.t, value: v });
      }
    }
    const repeat = REPEATS[m.id];
    const earlier = repeat ? drawn.get(repeat.of) : undefined;
    const gap = repeat && earlier && values.length > 0 ? largestGap(values, earlier) : null;
    const why =
      values.length === 0
        ? `no ${m.axis} values`
        : repeat && gap !== null && gap <= REPEAT_TOLERANCE
          ? `${gap === 0 ? 'identical to' : `within ${gap.toPrecision(2)} of`} the ${repeat.of} chart at every step: ${repeat.why}`
          : null;
    if (why === null) drawn.set(m.id, values);
    chartOrSkip(out, m.id, m.title, why, () => ({
      caption: m.caption,
      spec: perAgent(m.title, values, {
        mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5 },
        encoding: {
          x: stepAxis(doc, opts),
          y: {
            field: 'value',
            type: 'quantitative',
            title: m.axis,
            ...(m.unitInterval ? { scale: { domain: [0, 1] } } : {}),
          },
          color: HORIZON_COLOR,
        },
      }),
    }));
  }
  return out;
}
