/**
 * The analysis document: the output contract of `hotmess analyze` (metrics
 * spec, section G), written to RUN/analysis.json. One zod schema is the
 * single description; the TypeScript type is inferred from it.
 *
 * Invariants: every number is finite; a value that cannot be computed is
 * `null`, never omitted, never NaN. `agent` is the agent's scenario name.
 * `t` counts from 1. Intervals are 95% percentile intervals from the cluster
 * bootstrap over instances.
 */
import { z } from 'zod';
import { OutcomeKindSchema } from '../log/index.js';

export const ANALYSIS_SCHEMA = 'hotmess.analysis/1';

const Num = z.number().nullable();
const Interval = z.tuple([z.number(), z.number()]).nullable();
/** pass^k / pass@k keyed by k ("1", "2", …). */
const ByK = z.record(z.string(), Num);

export { OutcomeKindSchema };

/** Which group a record describes: one agent × horizon × instance. */
const GroupKey = { agent: z.string(), horizon: z.number(), instance: z.union([z.number(), z.string()]) };
/** Which cell a record describes: one agent × horizon. */
const CellKey = { agent: z.string(), horizon: z.number() };

/** The decomposition of an error (spec B); incoherence = variance / error. */
const AggregateSchema = z.object({
  biasSq: Num,
  variance: Num,
  error: Num,
  incoherence: Num,
});

/** Reliability over repeated trials, per group and per cell (spec C). */
const Reliability = { passK: ByK, passAtK: ByK, stepAccuracy: Num, h50Observed: Num };

/** Finite-sample corrected values (spec B): null for kl and when N < 2. */
export const CorrectedSchema = z.object({ biasSq: Num, variance: Num, incoherence: Num });

/** Domingos 0-1 decomposition; absolute values, no incoherence (spec B5). */
export const ZeroOneSchema = z.object({ bias: Num, variance: Num });

/** One step of one group (spec A, B at step t). */
export const GroupStepSchema = z.object({
  t: z.number().int(),
  /** Rollouts that took an action at t. */
  alive: z.number().int(),
  actionAgreement: Num,
  actionEntropy: Num,
  survival: Num,
  hazard: Num,
  distinctPrefixes: z.number().int(),
  modalShare: Num,
  stateDivergence: Num,
  /** A(t) for this group; null when no oracle actions are logged. */
  taskAccuracy: Num,
  /** Share of the alive rollouts whose action at t matched the oracle (p̂ at step t). */
  stepAccuracy: Num,
  ...AggregateSchema.shape,
});

/** One step of the pooled curves of an agent × horizon. */
export const PooledStepSchema = z.object({
  t: z.number().int(),
  /** Groups whose curve reaches t (t ≤ the group's longest rollout). */
  groups: z.number().int(),
  alive: z.number().int(),
  /** Mean over groups of S(t); a group whose rollouts all ended keeps its last value. */
  survival: Num,
  /** 1 − S(t)/S(t−1) of the pooled survival. */
  hazard: Num,
  actionAgreement: Num,
  actionEntropy: Num,
  distinctPrefixes: Num,
  modalShare: Num,
  stateDivergence: Num,
  /** Fraction of all rollouts with no oracle mismatch through t. */
  taskAccuracy: Num,
  /** p̂ᵗ, the task accuracy predicted from step accuracy. */
  predictedAccuracy: Num,
  /** Oracle matches over oracle-judged actions at t, pooled over the groups' alive rollouts. */
  stepAccuracy: Num,
  /** Incoherence is a ratio of sums over groups at t. */
  ...AggregateSchema.shape,
});

export const FitsSchema = z.object({
  q: Num,
  halfLife: Num,
  growthExponent: Num,
  growthR2: Num,
  hazardSlope: Num,
  /**
   * Least-squares slope of the per-step error rate 1 − p̂(t) against t.
   * Flat for memoryless errors; positive when errors make later errors
   * likelier (self-conditioning), which the pair hazard cannot show when
   * pairs that stay together have made no errors.
   */
  errorRateSlope: Num,
});

export const GroupSchema = z.object({
  ...GroupKey,
  /** Rollouts used (errored ones excluded). */
  n: z.number().int(),
  errored: z.number().int(),
  successes: z.number().int(),
  meanLength: Num,
  /** biasSq, variance, incoherence, corrected and zeroOne need n ≥ 2; error needs n ≥ 1. */
  outcome: z.object({
    kind: OutcomeKindSchema,
    ...AggregateSchema.shape,
    corrected: CorrectedSchema,
    zeroOne: ZeroOneSchema,
  }),
  ...Reliability,
  ...FitsSchema.shape,
  steps: z.array(GroupStepSchema),
});

export const HorizonSchema = z.object({
  ...CellKey,
  groups: z.number().int(),
  rollouts: z.number().int(),
  errored: z.number().int(),
  meanLength: Num,
  outcomeKind: OutcomeKindSchema.nullable(),
  /**
   * Means over groups with n ≥ 2; incoherence = Σ Var / Σ Error over them.
   * `error` of a cell whose groups all have n = 1 is the mean of their errors.
   */
  ...AggregateSchema.shape,
  corrected: CorrectedSchema,
  zeroOne: ZeroOneSchema,
  /** Keys: incoherence, biasSq, variance, error, stepAccuracy, "passK.<k>". */
  ci: z.record(z.string(), Interval),
  ...Reliability,
  h50Predicted: Num,
  ...FitsSchema.shape,
  steps: z.array(PooledStepSchema),
});

/** Length buckets per agent (spec D2), groups sorted by mean rollout length. */
export const BucketSchema = z.object({
  agent: z.string(),
  bucket: z.number().int(),
  groups: z.number().int(),
  minLength: Num,
  maxLength: Num,
  meanLength: Num,
  ...AggregateSchema.shape,
});

const HalfSchema = z.object({ rollouts: z.number().int(), meanLength: Num, ...AggregateSchema.shape });

/** Median split per agent (spec D3). */
export const MedianSplitSchema = z.object({
  rule: z.string(),
  agents: z.array(z.object({ agent: z.string(), groups: z.number().int(), short: HalfSchema, long: HalfSchema })),
});

/** One point of the ensembling curve (spec D4). */
export const EnsembleSchema = z.object({
  ...CellKey,
  E: z.number().int(),
  groups: z.number().int(),
  ensembles: z.number().int(),
  ...AggregateSchema.shape,
  /** V/(E·B² + V) from the single-sample B² and V of the same groups. */
  closedForm: Num,
});

/** Divergence inherited from a forked prefix against divergence created after it. */
export const ForkSchema = z.object({
  sourceRollout: z.string().nullable(),
  step: z.number().int(),
  /** Mean pooled survival at the fork step (1 when the prefix is shared). */
  survivalAtFork: Num,
  survivalFinal: Num,
  /** 1 − S(K): pairs already split within the prefix. */
  inherited: Num,
  /** S(K) − S(T): pairs that split after the fork. */
  createdAfter: Num,
  /** q̂ fitted to S(K + u)/S(K), u = 1, 2, …: agreement per step after the fork only. */
  qAfter: Num,
});

/** How an agent's incoherence moves with the horizon (analysis/trend.ts). */
export const HorizonTrendSchema = z.object({
  agent: z.string(),
  /** The horizons the fit used: those with a defined incoherence. */
  horizons: z.array(z.number()),
  /** Least-squares slope of incoherence against log₂ H; null with fewer than two horizons. */
  slopePerDoubling: Num,
  /** 95% cluster-bootstrap interval of the slope; null with one instance at some horizon. */
  ci: Interval,
});

/**
 * Scaling along a family (metrics spec H2), per horizon and pooled
 * (horizon null): log-log slopes of bias² and variance against scale, the
 * slope of incoherence against log scale, Δ = β_B − β_V with its cluster-
 * bootstrap interval, and the verdict (a direction only when the interval
 * of Δ excludes 0). `series` holds the points the slopes are fitted to.
 */
export const ScalingSchema = z.object({
  family: z.string(),
  horizon: z.number().nullable(),
  /** Distinct scales in the family. */
  points: z.number().int(),
  /** Points each fit used (log fits need values > 0). */
  used: z.object({ biasSq: z.number().int(), variance: z.number().int(), incoherence: z.number().int() }),
  betaBias: Num,
  betaVariance: Num,
  betaIncoherence: Num,
  delta: Num,
  ci: z.object({ delta: Interval, betaBias: Interval, betaVariance: Interval, betaIncoherence: Interval }),
  verdict: z.enum(['bias falls faster than variance', 'variance falls faster than bias', 'undecided']),
  series: z.array(z.object({ agent: z.string(), scale: z.number(), biasSq: Num, variance: Num, error: Num, incoherence: Num })),
});

export const RunInfoSchema = z.object({
  name: z.string(),
  status: z.string(),
  seed: z.union([z.string(), z.number()]).nullable(),
  version: z.string().nullable(),
  source: z.string().nullable(),
  scenarioHash: z.string().nullable(),
  environment: z.object({
    name: z.string(),
    params: z.unknown().optional(),
    outcomeKind: OutcomeKindSchema.nullable(),
    measureKind: OutcomeKindSchema.nullable(),
    hasFeatures: z.boolean(),
  }),
  agents: z.array(z.object({ name: z.string(), kind: z.string(), params: z.unknown().optional(), family: z.string().optional(), scale: z.number().optional() })),
  horizons: z.array(z.number()),
  instances: Num,
  rollouts: Num,
});

/** metrics.md H4: a group's mean π(t) and H_model(t), and Spearman's ρ between H_model(t) and h(t). */
export const ModelUncertaintySchema = z.object({
  ...GroupKey,
  steps: z.array(z.object({ t: z.number(), alive: z.number().int(), meanProb: Num, meanEntropy: Num, hazard: Num })),
  rho: Num,
  points: z.number().int(),
  ci: z.object({ rho: z.tuple([z.number(), z.number()]).nullable() }),
});

export const AnalysisDocumentSchema = z.object({
  schema: z.literal(ANALYSIS_SCHEMA),
  run: RunInfoSchema,
  settings: z.object({
    bootstrap: z.number().int(),
    bootstrapSeed: z.string(),
    buckets: z.number().int(),
    klDelta: z.number(),
    confidence: z.number(),
  }),
  counts: z.object({
    rollouts: z.number().int(),
    errored: z.number().int(),
    stepLines: z.number().int(),
    ignoredStepLines: z.number().int(),
    tornLines: z.number().int(),
  }),
  warnings: z.array(z.string()),
  horizons: z.array(HorizonSchema),
  groups: z.array(GroupSchema),
  buckets: z.array(BucketSchema),
  medianSplit: MedianSplitSchema,
  ensembles: z.array(EnsembleSchema),
  fork: ForkSchema.nullable(),
  /** Absent from documents written before trends existed. */
  trends: z.array(HorizonTrendSchema).default([]),
  /** Absent from documents written before scaling existed: read as none. */
  scaling: z.array(ScalingSchema).default([]),
  /** Groups of agents that logged logprobs (metrics.md H4); empty otherwise, and absent from older documents. */
  modelUncertainty: z.array(ModelUncertaintySchema).default([]),
});

export type AnalysisDocument = z.infer<typeof AnalysisDocumentSchema>;
export type HorizonSummary = z.infer<typeof HorizonSchema>;
export type GroupSummary = z.infer<typeof GroupSchema>;
export type GroupStep = z.infer<typeof GroupStepSchema>;
export type PooledStep = z.infer<typeof PooledStepSchema>;
export type BucketSummary = z.infer<typeof BucketSchema>;
export type MedianSplit = z.infer<typeof MedianSplitSchema>;
export type EnsembleSummary = z.infer<typeof EnsembleSchema>;
export type ForkSummary = z.infer<typeof ForkSchema>;
export type RunInfo = z.infer<typeof RunInfoSchema>;
export type ScalingEntry = z.infer<typeof ScalingSchema>;
export type Fits = z.infer<typeof FitsSchema>;
export type HorizonTrend = z.infer<typeof HorizonTrendSchema>;
export type ModelUncertainty = z.infer<typeof ModelUncertaintySchema>;
