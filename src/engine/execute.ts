/**
 * One planned rollout end to end: build the session and agent, run the
 * rollout machine, and produce the rollout record. Failures of the agent or
 * environment end the rollout in `error`; they never escape.
 */
import { HotmessError, type Agent, type AgentContext, type AgentServices, type AnyEnvironment, type Action } from '../core/index.js';
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
            if (!parsed.success) throw new HotmessError('scenario', `agent ${agent.name}: inner ${kind} params: ${parsed.error.issues[0]?.message}`);
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

/** The rollout line of a rollout that could not run at all (e.g. its worker process kept dying). */
export function errorRolloutLine(planned: Pick<PlannedRollout, 'id' | 'agent' | 'horizon' | 'instance' | 'index' | 'seeds'>, error: string): string {
  const { id, agent, horizon, instance, index, seeds } = planned;
  return JSON.stringify({ rollout: id, agent: agent.name, horizon, instance, index, seeds, length: 0, termination: 'error', error, outcome: null, return: 0, timing: { ms: 0 } });
}

export async function executeRollout(input: ExecuteInput): Promise<ExecuteResult> {
  const { planned, env, sink } = input;
  const started = Date.now();
  let session: RolloutSession | null = null;
  let end: RolloutEnd;
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
    const r = runRollout(session, input.signal);
    end = r instanceof Promise ? await r : r;
  } catch (e) {
    end = { termination: 'error', error: e instanceof Error ? e.message : String(e) };
  } finally {
    const agent = session?.agent;
    if (agent?.async && agent.close) await agent.close().catch(() => undefined);
  }
  const record: Record<string, unknown> = {
    rollout: planned.id,
    agent: planned.agent.name,
    horizon: planned.horizon,
    instance: planned.instance,
    index: planned.index,
    seeds: planned.seeds,
    length: session?.t ?? 0,
    termination: end.termination,
  };
  if (end.termination === 'error') {
    record.error = end.error;
    record.outcome = null;
  } else if (session) {
    try {
      const { outcome, outcomes } = session.outcome();
      record.outcome = outcome;
      if (outcomes) record.outcomes = outcomes;
    } catch (e) {
      end = { termination: 'error', error: `outcome: ${e instanceof Error ? e.message : String(e)}` };
      record.termination = 'error';
      record.error = end.error;
      record.outcome = null;
    }
  }
  record.return = session?.totalReward ?? 0;
  try {
    const summary = session?.agent?.summary?.();
    if (summary?.info) record.info = summary.info;
  } catch {
    // Totals are best effort: a finished rollout is never failed over them.
  }
  if (input.prefix !== undefined) record.forkedAt = input.prefix.length;
  record.timing = { ms: Date.now() - started };
  return { end, line: JSON.stringify(record) };
}
