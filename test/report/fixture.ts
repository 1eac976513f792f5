/**
 * A small analysis document built by hand, checked against the analyzer's
 * own schema so it cannot drift from the contract. Two agents × two
 * horizons, with nulls where a real run has them (hazard after S = 0,
 * incoherence at zero error, a missing CI).
 */
import { AnalysisDocumentSchema, type AnalysisDocument, type HorizonSummary, type PooledStep } from '../../src/analysis/index.js';

type Num = number | null;

function step(t: number, o: Partial<PooledStep>): PooledStep {
  return {
    t,
    groups: 2,
    alive: 4,
    survival: null,
    hazard: null,
    actionAgreement: null,
    actionEntropy: null,
    distinctPrefixes: null,
    modalShare: null,
    stateDivergence: null,
    taskAccuracy: null,
    predictedAccuracy: null,
    stepAccuracy: null,
    biasSq: null,
    variance: null,
    error: null,
    incoherence: null,
    ...o,
  };
}

const corrected = { biasSq: null, variance: null, incoherence: null };
const zeroOne = { bias: null, variance: null };
const fits = { q: null, halfLife: null, growthExponent: null, growthR2: null, hazardSlope: null, errorRateSlope: null };

function horizon(agent: string, H: number, o: Partial<HorizonSummary>): HorizonSummary {
  return {
    agent,
    horizon: H,
    groups: 2,
    rollouts: 8,
    errored: 0,
    meanLength: H,
    outcomeKind: 'squared',
    biasSq: null,
    variance: null,
    error: null,
    incoherence: null,
    corrected,
    zeroOne,
    ci: {},
    passK: {},
    passAtK: {},
    stepAccuracy: null,
    h50Observed: null,
    h50Predicted: null,
    ...fits,
    steps: [],
    ...o,
  };
}

/** A noisy agent: S(t) = qᵗ with q = 0.82, p̂ = 0.9; biased agent: S = 1, all error bias. */
export function noisySteps(H: number, q = 0.82, p = 0.9): PooledStep[] {
  return Array.from({ length: H }, (_, i) => {
    const t = i + 1;
    const inc: Num = t === 1 ? null : 0.5 + 0.03 * t; // t = 1: zero error, so null
    return step(t, {
      survival: q ** t,
      hazard: 1 - q,
      actionAgreement: q,
      actionEntropy: 0.6,
      distinctPrefixes: Math.min(4, t),
      modalShare: 0.5,
      stateDivergence: 0.4 * t ** 1.5,
      taskAccuracy: p ** t + 0.01,
      predictedAccuracy: p ** t,
      biasSq: 0.1 * t,
      variance: 0.2 * t,
      error: 0.3 * t,
      incoherence: inc,
    });
  });
}

export function biasedSteps(H: number): PooledStep[] {
  return Array.from({ length: H }, (_, i) =>
    step(i + 1, { survival: 1, hazard: 0, actionAgreement: 1, actionEntropy: 0, distinctPrefixes: 1, modalShare: 1, stateDivergence: 0, taskAccuracy: 0, predictedAccuracy: 0, biasSq: 1, variance: 0, error: 1, incoherence: 0 }),
  );
}

export const AGENTS = [
  { name: 'noisy-0.1', kind: 'noisy', params: { epsilon: 0.1 } },
  { name: 'biased', kind: 'biased', params: {} },
];

export function fixtureDocument(): AnalysisDocument {
  const doc: AnalysisDocument = {
    schema: 'hotmess.analysis/1',
    run: {
      name: 'report-fixture',
      status: 'finished',
      seed: 42,
      version: '0.1.0',
      source: 'hotmess run',
      scenarioHash: 'abc123',
      environment: { name: 'kv-sum', params: { keysPerStep: 2 }, outcomeKind: 'squared', measureKind: 'squared', hasFeatures: false },
      agents: AGENTS,
      horizons: [4, 8],
      instances: 2,
      rollouts: 4,
    },
    settings: { bootstrap: 200, bootstrapSeed: 'boot', buckets: 2, klDelta: 1e-12, confidence: 0.95 },
    counts: { rollouts: 32, errored: 0, stepLines: 192, ignoredStepLines: 0, tornLines: 0 },
    warnings: ['N = 4 < 30 rollouts per group: pooled estimates are noisy'],
    horizons: [
      horizon('noisy-0.1', 4, {
        biasSq: 0.2, variance: 0.5, error: 0.7, incoherence: 0.5 / 0.7,
        ci: { incoherence: [0.6, 0.8], biasSq: [0.1, 0.3], variance: [0.4, 0.6] },
        passK: { '1': 0.66, '2': 0.45, '3': 0.3, '4': 0.2 }, passAtK: { '1': 0.66, '2': 0.9 },
        stepAccuracy: 0.9, h50Observed: 7, h50Predicted: Math.log(0.5) / Math.log(0.9), q: 0.82, halfLife: Math.log(0.5) / Math.log(0.82), growthExponent: 1.5, growthR2: 1, hazardSlope: 0,
        steps: noisySteps(4),
      }),
      horizon('noisy-0.1', 8, {
        biasSq: 0.3, variance: 1.1, error: 1.4, incoherence: 1.1 / 1.4,
        ci: { incoherence: [0.7, 0.85] }, // no CI for bias² / variance: no error bar drawn
        passK: { '1': 0.43, '2': 0.2, '3': null, '4': 0.05 },
        stepAccuracy: 0.9, q: 0.82, steps: noisySteps(8),
      }),
      horizon('biased', 4, { biasSq: 1, variance: 0, error: 1, incoherence: 0, ci: { incoherence: [0, 0] }, passK: { '1': 0, '2': 0 }, stepAccuracy: 0.75, q: 1, steps: biasedSteps(4) }),
      // Everything null: a horizon where no group had two rollouts.
      horizon('biased', 8, { groups: 2, rollouts: 2, steps: [step(1, {}), step(2, {})] }),
    ],
    groups: [],
    buckets: [
      { agent: 'noisy-0.1', bucket: 1, groups: 2, minLength: 4, maxLength: 4, meanLength: 4, biasSq: 0.2, variance: 0.5, error: 0.7, incoherence: 0.714 },
      { agent: 'noisy-0.1', bucket: 2, groups: 2, minLength: 8, maxLength: 8, meanLength: 8, biasSq: 0.3, variance: 1.1, error: 1.4, incoherence: 0.786 },
    ],
    medianSplit: {
      rule: 'each group split at its median length',
      agents: [
        { agent: 'noisy-0.1', groups: 4, short: { rollouts: 8, meanLength: 4, biasSq: 0.2, variance: 0.5, error: 0.7, incoherence: 0.71 }, long: { rollouts: 8, meanLength: 8, biasSq: 0.3, variance: 1.1, error: 1.4, incoherence: 0.79 } },
      ],
    },
    ensembles: [1, 2, 4].flatMap((E) => [
      { agent: 'noisy-0.1', horizon: 4, E, groups: 2, ensembles: 4 / E, biasSq: 0.2, variance: 0.5 / E, error: 0.2 + 0.5 / E, incoherence: 0.5 / E / (0.2 + 0.5 / E) + 0.02 * (E - 1), closedForm: 0.5 / (E * 0.2 + 0.5) },
      { agent: 'noisy-0.1', horizon: 8, E, groups: 2, ensembles: 4 / E, biasSq: 0.3, variance: 1.1 / E, error: 0.3 + 1.1 / E, incoherence: E === 4 ? null : 1.1 / E / (0.3 + 1.1 / E), closedForm: 1.1 / (E * 0.3 + 1.1) },
    ]),
    fork: null,
    trends: [],
    scaling: [],
    modelUncertainty: [],
  };
  return AnalysisDocumentSchema.parse(doc);
}

/** A manifest matching the fixture, as the run command writes it. */
export function fixtureManifest() {
  return {
    schema: 'hotmess.run/1',
    status: 'finished',
    name: 'report-fixture',
    version: '0.1.0',
    source: 'hotmess run',
    scenario: {
      name: 'report-fixture',
      environment: 'kv-sum',
      params: { keysPerStep: 2 },
      horizons: [4, 8],
      instances: 2,
      rollouts: 4,
      seed: 42,
      agents: AGENTS,
    },
    scenarioHash: 'abc123',
    environment: { name: 'kv-sum', outcomeKind: 'squared', measureKind: 'squared', hasFeatures: false },
    agents: AGENTS,
    horizons: [4, 8],
    instances: 2,
    rollouts: 4,
    seed: 42,
    seeds: { env: 'derive(seed, "env", horizon, instance)', agent: 'derive(seed, "agent", agent, horizon, instance, index)' },
  };
}
