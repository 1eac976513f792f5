/**
 * The mutable shell of one rollout: it holds the current state and performs
 * the effects the rollout machine asks for (observe, decide, act, record).
 * The environment and the agent stay pure; all I/O goes through `sink`.
 */
import {
  applyAction,
  canonicalJson,
  createRng,
  errorText,
  hashString,
  LineVectors,
  patchesJson,
  vectorJson,
  type Action,
  type ActionSpace,
  type Agent,
  type Applied,
  type AnyEnvironment,
  type HistoryEntry,
  type Observation,
  type Outcome,
  type Rng,
  type StepReport,
} from '../core/index.js';
import type { InstanceCache } from './instances.js';

/** Where a rollout's step lines go. */
export interface StepSink {
  step(line: string): void;
}

export interface SessionInit {
  readonly id: string;
  readonly env: AnyEnvironment;
  readonly params: unknown;
  readonly horizon: number;
  readonly seeds: { readonly env: string; readonly agent: string };
  readonly sink: StepSink;
  /** Whether the agent reads history; when false none is kept. */
  readonly keepHistory: boolean;
  /** Steps replayed from a log before the agent takes over (fork). */
  readonly prefix?: readonly Action[];
  /** Shared instances of the run; without it the session builds its own. */
  readonly instances?: InstanceCache;
}

const NO_HISTORY: readonly HistoryEntry[] = Object.freeze([]);

/** Where an observation keeps the hash of its text once computed (a symbol: invisible to JSON and Object.keys). */
const OBS_HASH = Symbol('hotmess.observationHash');
const NO_PATCHES: readonly unknown[] = Object.freeze([]);

export class RolloutSession {
  readonly id: string;
  readonly env: AnyEnvironment;
  readonly horizon: number;
  readonly agentRng: Rng;
  state: unknown;
  t = 0;
  totalReward = 0;
  observation!: Observation;
  terminated = false;
  failure: string | null = null;
  agent!: Agent;
  private readonly sink: StepSink;
  private readonly history: HistoryEntry[] | null;
  private readonly prefix: readonly Action[];
  private readonly idJson: string;
  /** The step line's printed vectors: the state's x, in the patch and again as the features, is printed once. */
  private readonly lineVectors = new LineVectors();
  private pendingReport: StepReport | undefined;

  constructor(init: SessionInit) {
    this.id = init.id;
    this.idJson = JSON.stringify(init.id);
    this.env = init.env;
    this.horizon = init.horizon;
    this.sink = init.sink;
    this.history = init.keepHistory ? [] : null;
    this.prefix = init.prefix ?? [];
    // Separate streams: the instance depends only on the env seed, so the group shares it.
    this.state = init.instances ? init.instances.initial(init.horizon, init.seeds.env) : init.env.reset(init.params, init.horizon, createRng(init.seeds.env));
    this.agentRng = createRng(init.seeds.agent);
  }

  // Per-step memos: agents and the logger both ask for the oracle and the legal actions.
  private oracleAt = -1;
  private oracleValue: Action = null;
  private legalAt = -1;
  private legalValue: ActionSpace | null = null;

  /** The oracle action at the current state, computed once per step. */
  oracle(): Action {
    if (this.oracleAt !== this.t) {
      this.oracleValue = this.env.oracle(this.state);
      this.oracleAt = this.t;
    }
    return this.oracleValue;
  }

  /** The legal actions at the current state, computed once per step. */
  legal(): ActionSpace {
    if (this.legalAt !== this.t) {
      this.legalValue = this.env.actions(this.state);
      this.legalAt = this.t;
    }
    return this.legalValue!;
  }

  get historyView(): readonly HistoryEntry[] {
    return this.history ?? NO_HISTORY;
  }

  /** Whether the next action comes from the logged prefix rather than the agent. */
  get replaying(): boolean {
    return this.t < this.prefix.length;
  }

  /** The horizon is reached: the one truncation rule, used by the rollout machine. */
  get horizonReached(): boolean {
    return this.t >= this.horizon;
  }

  /** Nothing more to do: failed, terminated, or at the horizon. */
  get ended(): boolean {
    return this.failure !== null || this.terminated || this.t >= this.horizon;
  }

  /** Whether the next decision is synchronous (a scripted agent, or a replayed prefix). */
  get synchronous(): boolean {
    return this.replaying || !this.agent.async;
  }

  observe(): void {
    try {
      this.observation = this.env.observe(this.state);
    } catch (e) {
      this.failure = `observe at t=${this.t}: ${errorText(e)}`;
    }
  }

  /** False once an observation refused the memo (a frozen one): then every step hashes. */
  private memoiseObservations = true;

  /**
   * The hash of an observation's text, computed once per observation object.
   * Observations are immutable, and environments that memoise theirs (maze
   * per cell, workflow per configuration) hand out the same object again and
   * again; for a fresh object per step the memo costs nothing measurable.
   */
  private observationHash(o: Observation): string {
    const memo = (o as { [OBS_HASH]?: string })[OBS_HASH];
    if (memo !== undefined) return memo;
    const h = hashString(o.text);
    if (this.memoiseObservations) {
      try {
        (o as { [OBS_HASH]?: string })[OBS_HASH] = h;
      } catch {
        this.memoiseObservations = false;
      }
    }
    return h;
  }

  /** One whole synchronous step: observe → decide → act → record. Failures become `failure`. */
  stepSync(): void {
    this.observe();
    if (this.failure !== null) return;
    let action: Action;
    try {
      action = this.decideSync();
    } catch (e) {
      this.failure = `agent at t=${this.t + 1}: ${errorText(e)}`;
      return;
    }
    this.actAndRecord(action);
  }

  /** The next action: the logged prefix's while replaying, else the synchronous agent's. */
  decideSync(): Action {
    if (this.replaying) return this.prefix[this.t];
    const agent = this.agent;
    if (agent.async) throw new Error('decideSync called for an async agent');
    const action = agent.act(this.observation, this.historyView, this.agentRng);
    this.pendingReport = agent.report?.();
    return action;
  }

  async decideAsync(signal: AbortSignal): Promise<Action> {
    if (this.replaying) return this.prefix[this.t];
    const agent = this.agent;
    const action = agent.async ? await agent.act(this.observation, this.historyView, this.agentRng, signal) : agent.act(this.observation, this.historyView, this.agentRng);
    this.pendingReport = agent.report?.();
    return action;
  }

  /** Apply `action` by the one rule (`applyAction`), then write its step line. Failures become `failure`. */
  actAndRecord(action: Action): void {
    const env = this.env;
    const t = this.t + 1;
    const actionJson = canonicalJson(action);
    let line = '{"rollout":' + this.idJson + ',"t":' + t + ',"action":' + actionJson;
    try {
      // Scripted agents mostly return the oracle's own action: its JSON is the one just built.
      const oracle = this.oracle();
      line += ',"oracle":' + (oracle === action ? actionJson : canonicalJson(oracle)) + ',"obs":"' + this.observationHash(this.observation) + '"';
      // A model agent's own verdict on its reply (the tool-call format) comes before the action space.
      const verdict = this.pendingReport?.invalid;
      const applied: Applied<unknown> = verdict != null ? { kind: 'invalid', reason: verdict } : applyAction(env, this.state, action, this.legal());
      let reward = 0;
      let patches: readonly unknown[] = NO_PATCHES;
      if (applied.kind === 'ok') {
        this.state = applied.state;
        reward = applied.reward;
        patches = applied.patches;
        this.terminated = applied.terminated;
      }
      this.t = t;
      this.totalReward += reward;
      const after = this.state;
      const vectors = this.lineVectors;
      vectors.clear();
      line += ',"state":"' + env.hash(after) + '","reward":' + reward + ',"patches":' + patchesJson(patches, vectors);
      if (env.measure) {
        const m = env.measure(after, t);
        line += ',"measure":' + vectorJson(m.value, vectors) + ',"target":' + vectorJson(m.target, vectors);
      }
      if (env.features) line += ',"features":' + vectorJson(env.features(after), vectors);
      if (applied.kind !== 'ok') line += (applied.kind === 'invalid' ? ',"invalid":' : ',"illegal":') + JSON.stringify(applied.reason);
      if (t <= this.prefix.length) line += ',"replayed":true';
      const report = this.pendingReport;
      if (report !== undefined) {
        if (report.info) line += ',"info":' + canonicalJson(report.info);
        if (report.timing) line += ',"timing":' + JSON.stringify(report.timing);
        this.pendingReport = undefined;
      }
      if (this.history) this.history.push({ t, observation: this.observation, action, reward, ...(applied.kind !== 'ok' ? { feedback: applied.reason } : {}) });
    } catch (e) {
      this.failure = `step ${t}: ${errorText(e)}`;
      return;
    }
    this.sink.step(line + '}\n');
  }

  outcome(): { outcome: Outcome; outcomes?: Record<string, Outcome> } {
    const outcome = this.env.outcome(this.state);
    const outcomes = this.env.secondaryOutcomes?.(this.state);
    return outcomes ? { outcome, outcomes } : { outcome };
  }
}

