/**
 * One planned rollout end to end: build the session and agent, run the
 * rollout machine, and produce the rollout record. Failures of the agent or
 * environment end the rollout in `error`; they never escape.
 */
import { errorText, HotmessError, type Agent, type AgentContext, type AgentServices, type AnyEnvironment, type Action, type Json, type Outcome, type RolloutSeeds, zodIssue } from '../core/index.js';
import { RolloutSession, type StepSink } from './session.js';
import type { InstanceCache } from './instances.js';
import { runRollout, type RolloutEnd } from './rollout.js';
import type { PlannedRollout } from './plan.js';
import { resolveAgent, type Registry } from './registry.js';

export interface ExecuteInput {
  readonly planned: PlannedRollout;
  readonly env: AnyEnvironment;
  readonly envParams: unknown;
  readonly registry: Registry;
  readonly sink: StepSink;
  readonly signal?: AbortSignal;
  /** Actions replayed before the agent takes over (fork). */
  readonly prefix?: readonly Action[];
  /** Run-scoped services handed to agents (see AgentContext.services). */
  readonly services?: AgentServices;
  /** Environment instances shared by the rollouts of a group. */
  readonly instances?: InstanceCache;
}

export interface ExecuteResult {
  readonly end: RolloutEnd;
  /** The rollout line, without a newline. */
  readonly line: string;
}

export function buildAgent(session: RolloutSession, planned: PlannedRollout, registry: Registry, envName: string, services?: AgentServices): Agent {
  const { agent } = planned;
  const rollout = { id: planned.id, agent: agent.name, horizon: planned.horizon, instance: planned.instance, index: planned.index, agentSeed: planned.seeds.agent };
  const legal = () => session.legal();
  const ctx: AgentContext =
    agent.def.access === 'privileged'
      ? {
          access: 'privileged',
          legal,
          envName,
          rollout,
          services,
          instructions: () => session.env.instructions?.(session.state),
          env: session.env,
          state: () => session.state,
          oracle: () => session.oracle(),
          step: () => session.t,
          createInner: (kind: string, params: unknown) => {
            const def = resolveAgent(registry, kind, `agent ${agent.name}: inner`);
            const parsed = def.params.safeParse(params ?? {});
            if (!parsed.success) throw new HotmessError('scenario', `agent ${agent.name}: inner ${kind} params: ${zodIssue(parsed.error, { root: '' })}`);
            return def.create(parsed.data, ctx);
          },
        }
      : { access: 'observation', legal, envName, rollout, services, instructions: () => session.env.instructions?.(session.state) };
  return agent.def.create(agent.params, ctx);
}

function usesHistory(def: PlannedRollout['agent']['def'], params: unknown): boolean {
  const u = def.usesHistory;
  return typeof u === 'function' ? u(params) : u;
}

/**
 * A rollout line as the engine writes it: a union on how the rollout ended,
 * with the keys in the order the log has always had them (the golden logs
 * pin it). Readers parse it with the log layer's `RolloutRecordSchema`.
 */
export type RolloutLine = RolloutHead & RolloutEnding & RolloutTail;

interface RolloutHead {
  readonly rollout: string;
  readonly agent: string;
  readonly horizon: number;
  readonly instance: number;
  readonly index: number;
  readonly seeds: RolloutSeeds;
  readonly length: number;
}

/** How it ended: an outcome for a finished rollout, a message and no outcome for a failed one. */
type RolloutEnding =
  | { readonly termination: 'terminated' | 'truncated'; readonly outcome: Outcome; readonly outcomes?: Record<string, Outcome> }
  | { readonly termination: 'error'; readonly error: string; readonly outcome: null };

interface RolloutTail {
  readonly return: number;
  readonly info?: Readonly<Record<string, Json>>;
  /** A fork's continuation: the steps replayed from the source log. */
  readonly forkedAt?: number;
  readonly timing: { readonly ms: number };
}

/** Where a rollout sits in the plan: what its line's head records. */
type Coordinates = { readonly id: string; readonly agent: { readonly name: string }; readonly horizon: number; readonly instance: number; readonly index: number; readonly seeds: RolloutSeeds };

const failed = (error: string): RolloutEnding => ({ termination: 'error', error, outcome: null });

/** The rollout line of a rollout that could not run at all (e.g. its worker process kept dying). */
export function errorRolloutLine(planned: Coordinates, error: string): string {
  return JSON.stringify(rolloutLine(planned, 0, failed(error), 0, undefined, undefined, 0));
}

/** How the session ended, with its outcome; an outcome that throws fails the rollout. */
function endingOf(session: RolloutSession | null, end: RolloutEnd): RolloutEnding {
  if (end.termination === 'error') return failed(end.error);
  if (session === null) return failed('no session');
  try {
    const { outcome, outcomes } = session.outcome();
    return outcomes ? { termination: end.termination, outcome, outcomes } : { termination: end.termination, outcome };
  } catch (e) {
    return failed(`outcome: ${errorText(e)}`);
  }
}

/** The agent's totals for the rollout line; best effort, a finished rollout is never failed over them. */
function agentInfo(session: RolloutSession | null): RolloutTail['info'] {
  try {
    return session?.agent?.summary?.()?.info ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run one planned rollout. A rollout that never waits (a scripted agent)
 * returns its result at once; one that waits on an async agent returns a
 * promise. Either way it never rejects.
 */
export function executeRollout(input: ExecuteInput): ExecuteResult | Promise<ExecuteResult> {
  const { planned, env, sink } = input;
  const started = Date.now();
  let session: RolloutSession | null = null;
  let end: RolloutEnd | Promise<RolloutEnd>;
  try {
    session = new RolloutSession({
      id: planned.id,
      env,
      params: input.envParams,
      horizon: planned.horizon,
      seeds: planned.seeds,
      sink,
      keepHistory: usesHistory(planned.agent.def, planned.agent.params),
      prefix: input.prefix,
      instances: input.instances,
    });
    session.agent = buildAgent(session, planned, input.registry, env.name, input.services);
    end = runRollout(session, input.signal);
  } catch (e) {
    end = { termination: 'error', error: errorText(e) };
  }
  if (end instanceof Promise || session?.agent?.async) return settle(input, session, end, started);
  return resultOf(input, session, end, started);
}

/** The rest of a rollout that waits: its end, then its async agent closed. */
async function settle(input: ExecuteInput, session: RolloutSession | null, pending: RolloutEnd | Promise<RolloutEnd>, started: number): Promise<ExecuteResult> {
  let end: RolloutEnd;
  try {
    end = await pending;
  } catch (e) {
    end = { termination: 'error', error: errorText(e) };
  } finally {
    const agent = session?.agent;
    if (agent?.async && agent.close) await agent.close().catch(() => undefined);
  }
  return resultOf(input, session, end, started);
}

function resultOf(input: ExecuteInput, session: RolloutSession | null, end: RolloutEnd, started: number): ExecuteResult {
  const ending = endingOf(session, end);
  const line = JSON.stringify(rolloutLine(input.planned, session?.t ?? 0, ending, session?.totalReward ?? 0, agentInfo(session), input.prefix?.length, Date.now() - started));
  return { end: ending.termination === 'error' ? { termination: 'error', error: ending.error } : end, line };
}

/**
 * The rollout line as one object literal, for JSON.stringify: the log's keys
 * in the log's order, an absent optional part as an `undefined` value (which
 * JSON.stringify leaves out). A rollout line is written once per rollout, so
 * its code runs about as often as V8 takes to optimise it: the native
 * serializer is as fast as hand-built text once that text's code is
 * optimised, and several times faster before (docs/throughput.md). No spreads:
 * one object, so its garbage dies young.
 */
export function rolloutLine(
  p: Coordinates,
  length: number,
  ending: RolloutEnding,
  ret: number,
  info: RolloutTail['info'] | undefined,
  forkedAt: number | undefined,
  ms: number,
): RolloutLine {
  const failed = ending.termination === 'error';
  return {
    rollout: p.id,
    agent: p.agent.name,
    horizon: p.horizon,
    instance: p.instance,
    index: p.index,
    seeds: p.seeds,
    length,
    termination: ending.termination,
    error: failed ? ending.error : undefined,
    outcome: ending.outcome,
    outcomes: failed ? undefined : ending.outcomes,
    return: ret,
    info,
    forkedAt,
    timing: { ms },
  } as RolloutLine;
}
