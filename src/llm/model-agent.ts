/**
 * Model-backed agent kinds: an agent definition plus the hooks the CLI needs
 * before any rollout starts: a preflight check (API key, model file) and a
 * cost estimate for `--dry-run`. Both are pure functions of the params.
 */
import { HotmessError, type ActionSpace, type AgentDefinition, type AnyAgentDefinition, type Observation } from '../core/index.js';
import type { HistoryWindow } from './prompt.js';
import type { Price } from './prices.js';
import type { AnthropicConfig } from './anthropic/client.js';

/** What the first request of a rollout would hold, for estimates. */
export interface PromptSample {
  readonly envName: string;
  readonly instructions: string | undefined;
  readonly observation: Observation;
  readonly space: ActionSpace;
}

/** The shape of a rollout's calls, in approximate tokens (see estimate.ts for the method). */
export interface CallShape {
  readonly model: string;
  /** Null when the model is unknown and no price override is given. */
  readonly price: Price | null;
  /** Tools + system prompt + instructions: the stable prefix. */
  readonly prefixTokens: number;
  /** The current observation. */
  readonly observationTokens: number;
  /** One past step as shown again later: observation, reply, feedback. */
  readonly turnTokens: number;
  /** Output per call. */
  readonly outputTokens: number;
  readonly history: HistoryWindow;
  readonly promptCaching: boolean;
}

export interface ModelAgentHooks<P> {
  /** The provider or engine, for messages ("anthropic", "local"). */
  readonly provider: string;
  /** Whether replies go through the run's response cache, so `run --replay` can repeat them without calls. */
  readonly replayable?: boolean;
  /** A reason the run cannot start (missing API key, model file), or null. Not called for replays. */
  preflight(params: P, env: NodeJS.ProcessEnv): string | null;
  /** The call shape for a rollout whose first request would hold `sample`. */
  estimate(params: P, sample: PromptSample): CallShape;
  /** Agents that can run through Message Batches (`run --batch`): where their batches go and at what price (full; halved by the caller). */
  batchTarget?(params: P, env: NodeJS.ProcessEnv): BatchTarget;
}

export interface BatchTarget {
  readonly config: AnthropicConfig;
  readonly price: Price | null;
}

export interface ModelAgentDefinition<P> extends AgentDefinition<P> {
  readonly llm: ModelAgentHooks<P>;
}

export const defineModelAgent = <P>(def: ModelAgentDefinition<P>): ModelAgentDefinition<P> => def;

export function isModelAgent(def: AnyAgentDefinition): def is ModelAgentDefinition<any> {
  const llm = (def as { llm?: Partial<ModelAgentHooks<unknown>> }).llm;
  return !!llm && typeof llm.preflight === 'function' && typeof llm.estimate === 'function';
}

/** A model agent with the params it runs with. */
export interface ModelAgentUse {
  readonly def: ModelAgentDefinition<any>;
  readonly params: unknown;
}

/**
 * An agent kind that runs a model agent inside (an ensemble of `openai`)
 * declares which, per params, so the run gives it the LLM runtime, the
 * preflight check and the estimate.
 */
export interface WrapsModelAgent<P> {
  innerModel(params: P): ModelAgentUse | null;
}

/** The model agent an agent runs, itself or wrapped; null for scripted agents. */
export function modelAgentOf(a: { readonly def: AnyAgentDefinition; readonly params: unknown }): ModelAgentUse | null {
  if (isModelAgent(a.def)) return { def: a.def, params: a.params };
  const wraps = (a.def as Partial<WrapsModelAgent<unknown>>).innerModel;
  return typeof wraps === 'function' ? wraps.call(a.def, a.params) : null;
}

/** An agent as a resolved scenario lists it. */
export interface ScenarioAgent {
  readonly name: string;
  readonly kind: string;
  readonly def: AnyAgentDefinition;
  readonly params: unknown;
}

/**
 * Check every model-backed agent before a run starts; all problems are
 * reported together as one `HotmessError` (one line per agent).
 */
export function preflightModelAgents(agents: readonly ScenarioAgent[], env: NodeJS.ProcessEnv = process.env): void {
  const problems: string[] = [];
  for (const a of agents) {
    const m = modelAgentOf(a);
    if (!m) continue;
    const msg = m.def.llm.preflight(m.params, env);
    if (msg) problems.push(`agent "${a.name}" (${a.kind}): ${msg}`);
  }
  if (problems.length > 0) throw new HotmessError('agent', problems.join('\n'));
}

export const hasModelAgents = (agents: readonly ScenarioAgent[]): boolean => agents.some((a) => modelAgentOf(a) !== null);
