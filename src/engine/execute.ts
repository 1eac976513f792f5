/**
 * One planned rollout end to end: build the session and agent, run the
 * rollout machine, and produce the rollout record. Failures of the agent or
 * environment end the rollout in `error`; they never escape.
 */
import { errorText, HotmessError, numberJson, vectorJson, type Agent, type AgentContext, type AgentServices, type AnyEnvironment, type Action, type Json, type Outcome, type RolloutSeeds, zodIssue } from '../core/index.js';
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

type Coordinates = Pick<PlannedRollout, 'id' | 'agent' | 'horizon' | 'instance' | 'index' | 'seeds'>;

const headOf = (p: Coordinates, length: number): RolloutHead => ({ rollout: p.id, agent: p.agent.name, horizon: p.horizon, instance: p.instance, index: p.index, seeds: p.seeds, length });

const failed = (error: string): RolloutEnding => ({ termination: 'error', error, outcome: null });

/** The rollout line of a rollout that could not run at all (e.g. its worker process kept dying). */
export function errorRolloutLine(planned: Coordinates, error: string): string {
  const line: RolloutLine = { ...headOf(planned, 0), ...failed(error), return: 0, timing: { ms: 0 } };
  return JSON.stringify(line);
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
function agentInfo(session: RolloutSession | null): Pick<RolloutTail, 'info'> {
  try {
    const info = session?.agent?.summary?.()?.info;
    return info ? { info } : {};
  } catch {
    return {};
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
  // Straight to text: a record assembled with spreads costs more than the serialising (and its garbage outlives a scavenge).
  const line = lineText(input.planned, session?.t ?? 0, ending, session?.totalReward ?? 0, agentInfo(session).info, input.prefix?.length, Date.now() - started);
  return { end: ending.termination === 'error' ? { termination: 'error', error: ending.error } : end, line };
}

/**
 * JSON.stringify(line), byte for byte, without its generic walk. Parts of
 * an unexpected shape (an outcome with other keys, seeds with more) go to
 * JSON.stringify.
 */
export function rolloutLineJson(line: RolloutLine): string {
  const p = { id: line.rollout, agent: { name: line.agent }, horizon: line.horizon, instance: line.instance, index: line.index, seeds: line.seeds };
  return lineText(p, line.length, line, line.return, line.info, line.forkedAt, line.timing.ms);
}

function lineText(
  p: { readonly id: string; readonly agent: { readonly name: string }; readonly horizon: number; readonly instance: number; readonly index: number; readonly seeds: RolloutSeeds },
  length: number,
  ending: RolloutEnding,
  ret: number,
  info: RolloutTail['info'] | undefined,
  forkedAt: number | undefined,
  ms: number,
): string {
  let s =
    '{"rollout":' +
    JSON.stringify(p.id) +
    ',"agent":' +
    JSON.stringify(p.agent.name) +
    ',"horizon":' +
    numberJson(p.horizon) +
    ',"instance":' +
    numberJson(p.instance) +
    ',"index":' +
    numberJson(p.index) +
    ',"seeds":' +
    seedsJson(p.seeds) +
    ',"length":' +
    numberJson(length) +
    ',"termination":"' +
    ending.termination +
    '"';
  if (ending.termination === 'error') s += ',"error":' + JSON.stringify(ending.error) + ',"outcome":null';
  else {
    s += ',"outcome":' + outcomeJson(ending.outcome);
    const outcomes = ending.outcomes;
    if (outcomes !== undefined) {
      s += ',"outcomes":{';
      const names = Object.keys(outcomes);
      let first = true;
      for (let i = 0; i < names.length; i++) {
        const o = outcomes[names[i]];
        if (o === undefined) continue;
        s += (first ? '' : ',') + JSON.stringify(names[i]) + ':' + outcomeJson(o);
        first = false;
      }
      s += '}';
    }
  }
  s += ',"return":' + numberJson(ret);
  if (info !== undefined) s += ',"info":' + JSON.stringify(info);
  if (forkedAt !== undefined) s += ',"forkedAt":' + numberJson(forkedAt);
  return s + ',"timing":{"ms":' + numberJson(ms) + '}}';
}

const isPlain = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype;

function seedsJson(seeds: RolloutSeeds): string {
  const keys = isPlain(seeds) ? Object.keys(seeds) : null;
  if (keys === null || keys.length !== 2 || keys[0] !== 'env' || keys[1] !== 'agent' || typeof seeds.env !== 'string' || typeof seeds.agent !== 'string') return JSON.stringify(seeds);
  return '{"env":' + JSON.stringify(seeds.env) + ',"agent":' + JSON.stringify(seeds.agent) + '}';
}

/** An outcome as environments build it: {kind, value, target, success}, in that order. */
function outcomeJson(o: Outcome): string {
  const keys = isPlain(o) ? Object.keys(o) : null;
  if (keys === null || keys.length !== 4 || keys[0] !== 'kind' || keys[1] !== 'value' || keys[2] !== 'target' || keys[3] !== 'success' || typeof o.kind !== 'string' || typeof o.success !== 'boolean' || !Array.isArray(o.value) || !Array.isArray(o.target))
    return JSON.stringify(o);
  return '{"kind":' + JSON.stringify(o.kind) + ',"value":' + vectorJson(o.value) + ',"target":' + vectorJson(o.target) + ',"success":' + (o.success ? 'true' : 'false') + '}';
}
