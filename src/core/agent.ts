/**
 * The agent contract. An agent is created once per rollout from its params
 * and a context; `act` is called once per step. Scripted agents are
 * synchronous so the hot path pays for no promise machinery; model-backed
 * agents are async and declare it.
 */
import type { z } from 'zod';
import type { Action, ActionSpace, AnyEnvironment, Json, Observation } from './environment.js';
import type { Rng } from './rng.js';

/** One past step as an agent may see it. */
export interface HistoryEntry {
  readonly t: number;
  readonly observation: Observation;
  readonly action: Action;
  readonly reward: number;
  /** Why the action was refused, when it was (invalid or illegal). */
  readonly feedback?: string;
}
export type History = readonly HistoryEntry[];

/**
 * What an agent may consult besides the observation. Only agents declaring
 * `access: 'privileged'` (scripted ones) see the environment and true state;
 * model-backed agents see the legal actions, i.e. their tools.
 */
export type AgentContext = PrivilegedContext | ObservationContext;

export interface ObservationContext {
  readonly access: 'observation';
  /** Legal actions at the current state. */
  legal(): ActionSpace;
  readonly envName: string;
  /** Stable identifiers for cache namespacing and logs. */
  readonly rollout: RolloutCoordinates;
  /** The instance's stable text (rules, dictionary) for the cached prompt prefix, when the environment has one. */
  instructions?(): string | undefined;
  /** Run-scoped services from the caller of the run (e.g. an LLM response cache); opaque to the engine. */
  readonly services?: AgentServices;
}

/** Run-scoped services keyed by name; each consumer validates its own entry. */
export type AgentServices = Readonly<Record<string, unknown>>;

export interface PrivilegedContext {
  readonly access: 'privileged';
  legal(): ActionSpace;
  readonly envName: string;
  readonly rollout: RolloutCoordinates;
  readonly services?: AgentServices;
  /** The instance's stable text, for a model-backed agent an ensemble wraps. */
  instructions?(): string | undefined;
  readonly env: AnyEnvironment;
  /** The true current state. */
  state(): unknown;
  /** The oracle action at the true current state (computed once per step). */
  oracle(): Action;
  /** Steps taken so far (t of the next action is step() + 1). */
  step(): number;
  /** Build another agent from the registry (ensembles wrap inner agents). */
  createInner(kind: string, params: unknown): Agent;
}

export interface RolloutCoordinates {
  readonly id: string;
  readonly agent: string;
  readonly horizon: number;
  readonly instance: number;
  readonly index: number;
  readonly agentSeed: string;
}

/** Per-step data an agent wants logged: `info` is deterministic, `timing` is wall-clock. */
export interface StepReport {
  readonly info?: { [key: string]: Json };
  readonly timing?: { [key: string]: Json };
  /**
   * The agent's verdict that its reply held no valid action (a model's
   * malformed tool call), with the reason: the engine logs the step as
   * `invalid` with this reason and leaves the state unchanged, whatever the
   * returned action is.
   */
  readonly invalid?: string;
}

/** Per-rollout totals an agent wants on its rollout record (e.g. tokens, cost); merged into the record's `info`. */
export interface RolloutReport {
  readonly info?: { [key: string]: Json };
}

export interface SyncAgent {
  readonly async: false;
  act(observation: Observation, history: History, rng: Rng): Action;
  /** Called once after each act, when present. */
  report?(): StepReport | undefined;
  /** Called once when the rollout ends, whatever the ending. */
  summary?(): RolloutReport | undefined;
}

export interface AsyncAgent {
  readonly async: true;
  act(observation: Observation, history: History, rng: Rng, signal: AbortSignal): Promise<Action>;
  report?(): StepReport | undefined;
  /** Called once when the rollout ends, whatever the ending (an error included). */
  summary?(): RolloutReport | undefined;
  /** Release resources at the end of a rollout. */
  close?(): Promise<void>;
}

export type Agent = SyncAgent | AsyncAgent;

export interface AgentDefinition<P> {
  /** The kind named in scenarios. */
  readonly kind: string;
  readonly description: string;
  readonly params: z.ZodType<P>;
  readonly access: 'privileged' | 'observation';
  /** Whether `act` reads the history (per params, e.g. an ensemble of a model); when false the engine keeps none. */
  readonly usesHistory: boolean | ((params: P) => boolean);
  create(params: P, ctx: AgentContext): Agent;
  /**
   * The inner agents these params name (an ensemble's), so a scenario is
   * checked for unknown kinds and bad params before any rollout runs.
   */
  innerAgents?(params: P): readonly InnerAgentSpec[];
}

/** An agent named inside another's params; `scripted` when it must be synchronous and privileged. */
export interface InnerAgentSpec {
  readonly kind: string;
  readonly params: unknown;
  /** Where in the outer params it is named, for error messages. */
  readonly path: string;
  readonly scriptedOnly?: boolean;
}

export type AnyAgentDefinition = AgentDefinition<any>;

export const defineAgent = <P>(def: AgentDefinition<P>): AgentDefinition<P> => def;
