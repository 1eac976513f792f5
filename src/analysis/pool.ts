/**
 * Pooled per-step curves of an agent × horizon: each group's curve is
 * combined at every t. A group whose rollouts have all ended by t keeps its
 * last survival, prefix counts, state divergence and task accuracy (nothing
 * changes after the end) but contributes no action or measure values.
 */
import { aggregate, hazard, predictedAccuracy } from '../metrics/index.js';
import type { GroupStep, PooledStep } from './document.js';

interface Pooled {
  readonly steps: readonly GroupStep[];
  readonly n: number;
  /** The group's per-step error floor (GroupCurves.measureFloor); default 0. */
  readonly floor?: number;
}

const mean = (xs: readonly (number | null)[]): number | null => {
  let s = 0;
  let k = 0;
  for (const x of xs) {
    if (x === null) continue;
    s += x;
    k++;
  }
  return k > 0 ? s / k : null;
};

export function poolSteps(groups: readonly Pooled[], stepAccuracy: number | null): PooledStep[] {
  const T = Math.max(0, ...groups.map((g) => g.steps.length));
  const out: PooledStep[] = [];
  let prevS: number | null = groups.some((g) => g.n >= 2) ? 1 : null;
  for (let t = 1; t <= T; t++) {
    const live: { step: GroupStep; floor: number }[] = [];
    const held: { step: GroupStep; n: number }[] = [];
    for (const g of groups) {
      if (g.steps.length === 0) continue;
      const step = t <= g.steps.length ? g.steps[t - 1] : g.steps[g.steps.length - 1];
      if (t <= g.steps.length) live.push({ step, floor: g.floor ?? 0 });
      held.push({ step, n: g.n });
    }
    const survival = mean(held.map((h) => h.step.survival));
    let accN = 0;
    let accOk = 0;
    for (const h of held) {
      if (h.step.taskAccuracy === null) continue;
      accN += h.n;
      accOk += h.step.taskAccuracy * h.n;
    }
    let stepOk = 0;
    let stepN = 0;
    for (const { step: s } of live) {
      if (s.stepAccuracy === null) continue;
      stepOk += s.stepAccuracy * s.alive;
      stepN += s.alive;
    }
    const pooled = aggregate(live.map(({ step: s, floor }) => (s.variance === null || s.error === null ? null : { variance: s.variance, error: s.error, floor })));
    out.push({
      t,
      groups: live.length,
      alive: live.reduce((a, l) => a + l.step.alive, 0),
      survival,
      hazard: hazard(prevS, survival),
      actionAgreement: mean(live.map((l) => l.step.actionAgreement)),
      actionEntropy: mean(live.map((l) => l.step.actionEntropy)),
      distinctPrefixes: mean(held.map((h) => h.step.distinctPrefixes)),
      modalShare: mean(held.map((h) => h.step.modalShare)),
      stateDivergence: mean(held.map((h) => h.step.stateDivergence)),
      taskAccuracy: accN > 0 ? accOk / accN : null,
      predictedAccuracy: predictedAccuracy(stepAccuracy, t),
      stepAccuracy: stepN > 0 ? stepOk / stepN : null,
      biasSq: mean(live.map((l) => l.step.biasSq)),
      variance: pooled.variance,
      error: pooled.error,
      incoherence: pooled.incoherence,
    });
    prevS = survival;
  }
  return out;
}
