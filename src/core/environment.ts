/**
 * The environment contract (Gymnasium-shaped, with ground truth for the
 * metrics). An environment is defined once with `defineEnvironment`: its
 * transition is written against an immer draft, so every step yields the
 * patches that the log stores instead of full states.
 *
 * Pure: no I/O, no clock, randomness only through the Rng passed to reset.
 */
import { enablePatches, produce, setAutoFreeze, type Draft, type Patch } from 'immer';
import type { z } from 'zod';
import { canonicalJson, hashString } from './canonical.js';
import { zodIssue } from './errors.js';
import { produceShallow, shallowDraftable } from './shallow-draft.js';
import type { Rng } from './rng.js';

enablePatches();
// States are never mutated outside a draft; freezing every step costs time on the hot path.
setAutoFreeze(false);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Action = Json;

/** Legal actions at a state: a finite list, or a zod schema for numeric actions. */
export type ActionSpace<A extends Action = Action> =
  | { readonly kind: 'discrete'; readonly actions: readonly A[] }
  | { readonly kind: 'continuous'; readonly schema: z.ZodType<A>; readonly description: string };

/** The outcome kinds of the metrics spec (section B). */
export const OUTCOME_KINDS = ['squared', 'brier', 'kl', 'coverage'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/**
 * A measured value against its target, as vectors (scalars are length 1).
 * squared: real vectors; brier/kl: probability vectors, target one-hot;
 * coverage: 0/1 items, target all ones.
 */
export interface Outcome {
  readonly kind: OutcomeKind;
  readonly value: number[];
  readonly target: number[];
  /** Whether the rollout counts as a success for pass^k. */
  readonly success: boolean;
}

/** Per-step ground truth: the agent's value y(t) against the reference trajectory's y*(t). */
export interface Measure {
  readonly value: number[];
  readonly target: number[];
}

export interface Observation {
  /** Structured form, for programs. */
  readonly data: Json;
  /** The rendering an LLM reads. */
  readonly text: string;
}

export type TransitionResult = { reward: number; terminated: boolean } | { illegal: string };

export type StepResult<S> =
  | { readonly kind: 'ok'; readonly state: S; readonly patches: Patch[]; readonly reward: number; readonly terminated: boolean }
  | { readonly kind: 'illegal'; readonly reason: string };

/** What an environment author writes. */
export interface EnvironmentDefinition<P, S, A extends Action> {
  readonly name: string;
  readonly description: string;
  /** Parameters with defaults; a scenario's `params` are parsed with it. */
  readonly params: z.ZodType<P>;
  /** How the horizon maps onto the task, for `envs` and `scenario describe`. */
  readonly horizonMeaning: string;
  /** Returns a message when the horizon is not valid for these params. */
  checkHorizon?(horizon: number, params: P): string | null;
  /**
   * The longest horizon an instance can hold (memory, generation time);
   * DEFAULT_MAX_HORIZON when absent. Checked before `checkHorizon` and reset.
   */
  readonly maxHorizon?: number;
  /** Create an instance: everything random about it comes from `rng`. */
  reset(params: P, horizon: number, rng: Rng): S;
  actions(state: S): ActionSpace<A>;
  /**
   * Mutate the draft. Return `{illegal}` to reject the action (the draft is
   * then discarded). `before` is the same state, read-only and undrafted:
   * reading it costs nothing, while every read of the draft goes through
   * immer's proxy (and reading a nested object or array drafts it).
   */
  transition(draft: Draft<S>, action: A, before: S): TransitionResult;
  observe(state: S): Observation;
  /**
   * Instance-level text that does not change during a rollout (rules, the
   * dictionary...). Model-backed agents put it in the cached prompt prefix.
   */
  instructions?(state: S): string;
  /** The correct action at any state. */
  oracle(state: S): A;
  /** Per-step value and target, at the state reached after step t. */
  measure?(state: S, t: number): Measure;
  readonly measureKind?: OutcomeKind;
  /** The final outcome: what the headline bias/variance split is computed on. */
  outcome(state: S): Outcome;
  readonly outcomeKind: OutcomeKind;
  /** Further named outcomes (e.g. maze: remaining distance), logged under `outcomes`. */
  secondaryOutcomes?(state: S): Record<string, Outcome>;
  /** What the outcome measures, in words. */
  readonly outcomeMeaning: string;
  /** Numeric state features for state divergence. */
  features?(state: S): number[];
  /** Canonical hash of the dynamic part of the state; defaults to the whole state. */
  hash?(state: S): string;
  /** A random wrong action, for noisy agents on continuous action spaces. */
  perturb?(state: S, rng: Rng): A;
  /** The systematic wrong action a biased agent takes here (deterministic). */
  systematicError?(state: S): A;
  /** Mermaid statechart, for environments authored as xstate machines. */
  chart?(params: P, horizon: number): string;
}

/** The runtime environment the engine drives. */
export interface Environment<P = unknown, S = unknown, A extends Action = Action>
  extends Omit<EnvironmentDefinition<P, S, A>, 'transition' | 'hash'> {
  step(state: S, action: A): StepResult<S>;
  hash(state: S): string;
}

export type AnyEnvironment = Environment<any, any, any>;

export function defineEnvironment<P, S, A extends Action>(def: EnvironmentDefinition<P, S, A>): Environment<P, S, A> {
  const transition = def.transition as (draft: unknown, action: Action, before: unknown) => TransitionResult;
  // The shallow path (core/shallow-draft.ts) until it proves useless for this
  // environment: after 16 bails, if more than one attempt in 8 bailed, every
  // later step goes straight to immer. Either path gives the same state and patches.
  let useShallow = true;
  let shallowSteps = 0;
  let shallowBails = 0;
  const step = (state: S, action: A): StepResult<S> => {
    if (state === undefined || state === null) throw new Error(`${def.name}: step called before reset (no state)`);
    const tryShallow = shallowOn && useShallow && shallowDraftable(state);
    let next: S;
    let patches: Patch[];
    fillSlots(transition, action, state);
    const shallow = tryShallow ? produceShallow(state, runTransition) : null;
    if (shallow !== null) {
      shallowSteps++;
      next = shallow.state as S;
      patches = shallow.patches;
    } else {
      if (tryShallow && ++shallowBails >= 16 && shallowBails * 8 > shallowSteps) useShallow = false;
      // Again: a bailed attempt may have run a nested step, which fills the slots with its own.
      if (tryShallow) fillSlots(transition, action, state);
      next = produce(state, runTransition, takePatches) as S;
      patches = stepPatches;
      stepPatches = NO_PATCHES;
    }
    // Read at once: a transition that steps another environment has finished its own step by now.
    const result = stepResult;
    stepBefore = undefined;
    if ('illegal' in result) return { kind: 'illegal', reason: result.illegal };
    // A NaN or infinite reward would be written into the step line and the return, and break both: refuse it here.
    if (!Number.isFinite(result.reward)) throw new Error(`${def.name}: reward ${String(result.reward)} is not a finite number; a transition must return a finite reward`);
    return { kind: 'ok', state: next, patches, reward: result.reward, terminated: result.terminated };
  };
  const hash = def.hash ?? ((state: S) => hashString(canonicalJson(state)));
  return { ...def, step, hash };
}

// One recipe (for immer and the shallow draft alike) and one patch listener
// for every step, fed through these slots rather than a fresh closure pair
// per step (the hot path allocates enough).
const NO_TRANSITION: TransitionResult = { illegal: 'no transition' };
const NO_PATCHES: Patch[] = [];
let stepTransition: (draft: unknown, action: Action, before: unknown) => TransitionResult = () => NO_TRANSITION;
let stepAction: Action = null;
let stepBefore: unknown = undefined;
let stepResult: TransitionResult = NO_TRANSITION;
let stepPatches: Patch[] = NO_PATCHES;
const runTransition = (draft: unknown): void => {
  const transition = stepTransition;
  const action = stepAction;
  stepResult = transition(draft, action, stepBefore);
};
function fillSlots(transition: typeof stepTransition, action: Action, before: unknown): void {
  stepTransition = transition;
  stepAction = action;
  stepBefore = before;
  stepResult = NO_TRANSITION;
}
const takePatches = (patches: Patch[]): void => {
  stepPatches = patches;
};

/**
 * Whether steps may take the shallow-draft path (on by default). Off, every
 * step runs under immer: the reference the property test compares against.
 * Returns the previous setting, for a test to restore.
 */
export function setShallowDrafts(on: boolean): boolean {
  const was = shallowOn;
  shallowOn = on;
  return was;
}
let shallowOn = true;

/** Whether `action` belongs to the action space; returns the reason when it does not. */
export function checkAction<A extends Action>(space: ActionSpace<A>, action: unknown): string | null {
  if (space.kind === 'continuous') {
    const parsed = space.schema.safeParse(action);
    return parsed.success ? null : `not a valid action (${space.description}): ${zodIssue(parsed.error, { root: '' })}`;
  }
  const acts = space.actions;
  // Identity first: scripted agents return an element of the list itself.
  for (let i = 0; i < acts.length; i++) if (acts[i] === action) return null;
  if (typeof action === 'object' && action !== null) {
    const key = canonicalJson(action);
    for (let i = 0; i < acts.length; i++) if (canonicalJson(acts[i]) === key) return null;
  }
  return `not a legal action: ${canonicalJson(action)}`;
}

/** The horizon limit of environments that declare no `maxHorizon`. */
export const DEFAULT_MAX_HORIZON = 1_000_000;

/**
 * Why `horizon` is not valid for `env` with `params`, or null: a positive
 * integer, at most the environment's maximum, and accepted by its
 * `checkHorizon`. The one rule for validation, `scenario describe` and `play`.
 */
export function horizonProblem(env: Pick<AnyEnvironment, 'name' | 'maxHorizon' | 'checkHorizon'>, horizon: number, params: unknown): string | null {
  if (!Number.isSafeInteger(horizon) || horizon < 1) return `a horizon is a positive integer; got ${horizon}`;
  const max = env.maxHorizon ?? DEFAULT_MAX_HORIZON;
  if (horizon > max) return `${env.name} holds horizons up to ${max.toLocaleString('en-US')}; ${horizon.toLocaleString('en-US')} is longer`;
  return env.checkHorizon?.(horizon, params) ?? null;
}
