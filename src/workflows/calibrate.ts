/**
 * Calibration: scripted agents with planted behaviour run through the real
 * engine on maze (m = 4 legal actions at every state), then analysed; each
 * recovered value is checked against its closed form (metrics spec, F) with
 * a tolerance of Z standard errors, the standard errors coming from the
 * binomial formula or from the cluster bootstrap over instances. Seeded:
 * the same settings give the same verdicts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, deriveSeed } from '../core/index.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../engine/index.js';
import { bootstrapStandardError, fitAgreement, fitErrorRateSlope, fitHazardSlope } from '../metrics/index.js';
import { checkH1, DRIFTING, MIXED } from './calibrate-h1.js';
import { checkLadder, ladderScenario } from './calibrate-ladder.js';
import { withinSE, type CalibrationCheck } from './calibration-check.js';
import { analyzeRun, type AnalysisDocument, type GroupSummary, type HorizonSummary, poolSteps } from '../analysis/index.js';

/** Tolerances are Z standard errors: a 3-sigma band. */
export const Z = 3;
const M = 4;
const EPSILON = 0.1;
const RESAMPLES = 1000;

export interface CalibrationResult {
  readonly ok: boolean;
  readonly settings: { horizon: number; instances: number; rollouts: number; seed: number; epsilon: number; z: number };
  /** The scale-ladder run (quiz), kept next to `dir` as `<dir>-ladder`. */
  readonly ladder: { environment: string; horizon: number; instances: number; rollouts: number };
  readonly checks: CalibrationCheck[];
  /** Values reported for context, not checked. */
  readonly notes: string[];
  /** The run directory, when kept (the ladder's is `<dir>-ladder`). */
  readonly dir: string | null;
}

export interface CalibrationOptions {
  readonly registry: Registry;
  readonly version: string;
  /** Fewer instances, rollouts and steps: seconds instead of a minute. */
  readonly quick?: boolean;
  /** Keep the run here; otherwise a temp dir is used and removed. */
  readonly out?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export function calibrationScenario(quick: boolean) {
  return parseScenario({
    name: quick ? 'calibration-quick' : 'calibration',
    description: 'planted behaviours for `hotmess calibrate`',
    environment: 'maze',
    horizons: [quick ? 12 : 20],
    instances: quick ? 16 : 40,
    rollouts: quick ? 24 : 40,
    seed: 2026,
    agents: [
      { name: 'oracle', kind: 'oracle' },
      { name: 'noisy', kind: 'noisy', params: { epsilon: EPSILON } },
      { name: 'biased', kind: 'biased', params: { rate: 0.3 } },
      { name: 'self-conditioning', kind: 'self-conditioning', params: { epsilon0: 0.05, growth: 0.1 } },
      { name: 'ensemble', kind: 'ensemble', params: { inner: { kind: 'noisy', params: { epsilon: EPSILON } }, samples: 5 } },
      { name: 'drifting', kind: 'drifting', params: { ...DRIFTING } },
      { name: 'mixed', kind: 'mixed', params: { ...MIXED } },
    ],
  });
}

export async function runCalibration(options: CalibrationOptions): Promise<CalibrationResult> {
  const quick = options.quick ?? false;
  const spec = calibrationScenario(quick);
  const scenario = await resolveScenario(spec, options.registry, null);
  const root = options.out ? null : mkdtempSync(join(tmpdir(), 'hotmess-calibrate-'));
  const dir = options.out ?? join(root!, 'run');
  try {
    const ladderSpec = ladderScenario(quick);
    const ladder = await resolveScenario(ladderSpec, options.registry, null);
    const ladderDir = `${dir}-ladder`;
    const perRun = (a: typeof spec) => a.agents.length * a.horizons.length * a.instances * a.rollouts;
    const first = perRun(spec);
    const total = first + perRun(ladderSpec);
    await runScenario(scenario, { out: dir, registry: options.registry, version: options.version, onProgress: options.onProgress && ((done) => options.onProgress!(done, total)) });
    await runScenario(ladder, { out: ladderDir, registry: options.registry, version: options.version, onProgress: options.onProgress && ((done) => options.onProgress!(first + done, total)) });
    const doc = await analyzeRun(dir, { resamples: RESAMPLES });
    const { checks, notes } = checkCalibration(doc);
    const ladderChecks = checkLadder(await analyzeRun(ladderDir, { resamples: RESAMPLES }), { z: Z, resamples: RESAMPLES });
    checks.push(...ladderChecks.checks);
    notes.push(...ladderChecks.notes);
    return {
      ok: checks.every((c) => c.ok),
      settings: { horizon: spec.horizons[0], instances: spec.instances, rollouts: spec.rollouts, seed: 2026, epsilon: EPSILON, z: Z },
      ladder: { environment: 'quiz', horizon: ladderSpec.horizons[0], instances: ladderSpec.instances, rollouts: ladderSpec.rollouts },
      checks,
      notes,
      dir: options.out ?? null,
    };
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}

const within = (agent: string, check: string, planted: number, recovered: number | null, se: number | null, source: string): CalibrationCheck => withinSE(agent, check, planted, recovered, se, Z, source);

/** Pooled-curve statistics recomputed on resampled instances. */
function curveSE(groups: readonly GroupSummary[], p: number | null, stat: (steps: ReturnType<typeof poolSteps>) => number | null, salt: string): number | null {
  const rng = createRng(deriveSeed('calibration', salt));
  return bootstrapStandardError(groups.length, (idx) => stat(poolSteps([...idx].map((i) => groups[i]), p)), RESAMPLES, rng);
}

/** The checks of metrics spec F on an analysed calibration run. */
export function checkCalibration(doc: AnalysisDocument): { checks: CalibrationCheck[]; notes: string[] } {
  const h = (agent: string): HorizonSummary => {
    const found = doc.horizons.find((x) => x.agent === agent);
    if (!found) throw new Error(`calibration run has no agent ${agent}`);
    return found;
  };
  const groupsOf = (agent: string) => doc.groups.filter((g) => g.agent === agent);
  const checks: CalibrationCheck[] = [];
  const notes: string[] = [];

  // noisy ε: q = (1−ε)² + ε²/(m−1), flat hazard, p̂ = 1−ε, H50 = ln 0.5 / ln(1−ε).
  const noisy = h('noisy');
  const ng = groupsOf('noisy');
  const q = (1 - EPSILON) ** 2 + EPSILON ** 2 / (M - 1);
  checks.push(within('noisy', 'q̂ (per-step pair agreement)', q, noisy.q, curveSE(ng, noisy.stepAccuracy, (s) => fitAgreement(s.map((x) => x.survival)).q, 'q'), 'cluster bootstrap'));
  checks.push(within('noisy', 'hazard slope (flat)', 0, noisy.hazardSlope, curveSE(ng, noisy.stepAccuracy, (s) => fitHazardSlope(s.map((x) => x.hazard)), 'hazard'), 'cluster bootstrap'));
  const steps = noisy.rollouts * noisy.horizon;
  const seP = Math.sqrt((EPSILON * (1 - EPSILON)) / steps);
  checks.push(within('noisy', 'p̂ (step accuracy)', 1 - EPSILON, noisy.stepAccuracy, seP, `binomial over ${steps} steps`));
  const p = 1 - EPSILON;
  const dH = Math.abs(Math.log(0.5)) / (p * Math.log(p) ** 2);
  checks.push(within('noisy', 'H50 predicted', Math.log(0.5) / Math.log(p), noisy.h50Predicted, seP * dH, 'binomial SE of p̂ through dH/dp'));

  // biased: S(t) = 1 and Var = 0, so incoherence 0 with bias² > 0.
  const biased = h('biased');
  checks.push({ agent: 'biased', check: 'incoherence', planted: 0, recovered: biased.incoherence, tolerance: 0, rule: 'exactly 0', ok: biased.incoherence === 0 });
  checks.push({ agent: 'biased', check: 'bias²', planted: '> 0', recovered: biased.biasSq, tolerance: null, rule: 'bias² > 0', ok: biased.biasSq !== null && biased.biasSq > 0 });
  const sEnd = biased.steps.length > 0 ? biased.steps[biased.steps.length - 1].survival : null;
  checks.push({ agent: 'biased', check: 'survival S(H)', planted: 1, recovered: sEnd, tolerance: 0, rule: 'exactly 1', ok: sEnd === 1 });

  // oracle: every error term 0, incoherence null.
  const oracle = h('oracle');
  checks.push({ agent: 'oracle', check: 'incoherence', planted: 'null', recovered: oracle.incoherence, tolerance: null, rule: 'null (no error)', ok: oracle.incoherence === null && oracle.error === 0 });

  // self-conditioning: errors make later errors likelier.
  const sc = h('self-conditioning');
  const scg = groupsOf('self-conditioning');
  const seSlope = curveSE(scg, sc.stepAccuracy, (s) => fitErrorRateSlope(s.map((x) => x.stepAccuracy)), 'error-slope');
  checks.push({
    agent: 'self-conditioning',
    check: 'error-rate slope (rising)',
    planted: '> 0',
    recovered: sc.errorRateSlope,
    tolerance: seSlope === null ? null : Z * seSlope,
    rule: `slope > ${Z}·SE (cluster bootstrap)`,
    ok: sc.errorRateSlope !== null && seSlope !== null && sc.errorRateSlope > Z * seSlope,
  });
  notes.push(
    `self-conditioning pair hazard slope ${fmt(sc.hazardSlope)} (noisy ${fmt(noisy.hazardSlope)}): pairs that are still together have almost always made no errors, so the pair hazard stays near 1 − q(ε₀); compounding shows in the per-step error rate instead`,
  );

  // ensemble: majority of 5 draws of the same noisy agent → lower variance, paired by instance.
  const ens = h('ensemble');
  const eg = groupsOf('ensemble');
  const byInstance = new Map(ng.map((g) => [String(g.instance), g]));
  const pairs = eg.map((g) => [g, byInstance.get(String(g.instance))] as const).filter((x): x is readonly [GroupSummary, GroupSummary] => !!x[1]);
  const diffOf = (idx: Iterable<number>) => {
    let s = 0;
    let k = 0;
    for (const i of idx) {
      const [e, n] = pairs[i];
      if (e.outcome.variance === null || n.outcome.variance === null) continue;
      s += n.outcome.variance - e.outcome.variance;
      k++;
    }
    return k > 0 ? s / k : null;
  };
  const diff = diffOf(pairs.keys());
  const seDiff = bootstrapStandardError(pairs.length, diffOf, RESAMPLES, createRng(deriveSeed('calibration', 'ensemble')));
  checks.push({
    agent: 'ensemble',
    check: 'variance below its inner noisy agent',
    planted: `< ${fmt(noisy.variance)}`,
    recovered: ens.variance,
    tolerance: seDiff === null ? null : Z * seDiff,
    rule: `inner − ensemble > ${Z}·SE of the paired difference (cluster bootstrap)`,
    ok: diff !== null && seDiff !== null && diff > Z * seDiff,
  });
  checks.push(...checkH1(doc, { m: M, z: Z, resamples: RESAMPLES }));
  return { checks, notes };
}

const fmt = (x: number | null) => (x === null ? '—' : String(Number(x.toPrecision(3))));
