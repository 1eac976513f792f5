/**
 * A rollout as an xstate v5 machine run as an actor:
 *
 *   ready ─STEP→ (a burst of whole synchronous steps) ready …
 *   ready ─(an async agent: observes)→ deciding ─DECIDED→ (acts, records, observes) deciding …
 *
 * ending in exactly one of three end states: `terminated` (the environment
 * reached an end state), `truncated` (the horizon was reached; applied here
 * and nowhere else) or `error` (an infrastructure failure, with a message).
 * The machine's context carries where the rollout stands (steps taken, ended
 * or failed); the guards decide on it alone.
 * Synchronous agents run whole steps inside one transition, a burst at a
 * time, so a scripted rollout runs to completion without a single promise.
 * An async agent's decision is awaited outside the machine, which waits in
 * `deciding` for its outcome as an event (DECIDED with the action, or
 * UNDECIDED with the agent's error); an abort stops the actor there. From
 * `ready`, an async rollout that is not over goes on to `deciding` by
 * itself, and stays there from step to step: a model-backed step is one
 * event and one microstep. It was a STEP event and a promise actor invoked
 * per step: a child actor, its system registration and four microsteps
 * cost about 0.1 ms of CPU per model-backed step (0.2 ms before V8
 * optimises them), an eighth of what a step may cost at 64 requests in
 * flight on one core (bench llm).
 *
 * An actor is reused: from an end state, LOAD starts the next rollout. A
 * fresh actor costs tens of microseconds (its system, mailbox and initial
 * snapshot), as much as a short scripted rollout's steps, while an event costs
 * a few; so each rollout slot keeps its actor and sends LOAD instead.
 *
 * A rollout takes its first synchronous burst before it gets an actor (a
 * scripted rollout of up to SYNC_BURST steps: all of it), and LOAD goes
 * straight to where that left the rollout: an end state, or `ready`.
 * LOAD's end checks are `ready`'s, with the same precedence (`loadFrom`).
 * Idle actors wait by the end state they rest in, and a rollout gets one
 * resting where it ends (`acquire`): the machine's guards then find nowhere
 * else for it to go, no transition is enabled, and the actor stays put
 * without a microstep. A scripted rollout costs one event that moves nothing.
 */
import { createActor, setup, assign, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { errorText, type Action } from '../core/index.js';
import type { RolloutSession } from './session.js';

export type RolloutEnd =
  | { readonly termination: 'terminated' }
  | { readonly termination: 'truncated' }
  | { readonly termination: 'error'; readonly error: string };

/**
 * Where the rollout that last moved the machine stands: all the guards of
 * `ready` and `deciding` read. (A rollout LOADed into an actor resting where
 * it ends moves nothing, context included; how a rollout ended is read from
 * the state it is in and from its own session, never from an end state's
 * context: see endOf.)
 */
export interface RolloutContext {
  /** The effects (environment, agent, log sink) of the rollout being run. */
  readonly session: RolloutSession;
  /** Steps taken. */
  readonly t: number;
  /** The environment reached an end state. */
  readonly terminated: boolean;
  /** Why the rollout failed, once it has. */
  readonly failure: string | null;
}

/** The context of `session` as it stands now (after the effects of an event). */
const standing = (session: RolloutSession): RolloutContext => ({ session, t: session.t, terminated: session.terminated, failure: session.failure });

/** Up to SYNC_BURST synchronous steps of `s`; returns `s`. */
function burst(s: RolloutSession): RolloutSession {
  for (let i = 0; i < SYNC_BURST && !s.ended && s.synchronous; i++) s.stepSync();
  return s;
}

/**
 * Synchronous steps run per STEP event. Each event is one bounded xstate
 * macrostep; running a burst of scripted steps per event keeps the actor's
 * bookkeeping (a few µs per event) off the per-step hot path. Scripted
 * rollouts never yield inside a rollout anyway (runRollout sends the next
 * STEP at once), so the bound only caps the work done per event.
 */
export const SYNC_BURST = 1024;

type Resting = 'terminated' | 'truncated' | 'error';

/**
 * LOAD from an end state moves the actor to where the rollout it brings
 * stands (already past its first burst): the end checks (`endChecks`) with
 * their precedence (failed, then terminated, then at the horizon), made
 * exclusive guards so that their order in a list no longer matters, or
 * `ready` when the rollout goes on. Each end state lists only the other
 * places: a rollout that ends where the actor rests (acquire picks such an
 * actor) enables no transition, and xstate takes no microstep (no exit and
 * entry sets, no actions, no new snapshot). That is most of what an event
 * costs, and most of the xstate code V8 would otherwise compile while a run
 * is under way, since it runs once per rollout (docs/throughput.md).
 */
const toError = { guard: 'loadedFailed', target: 'error', actions: 'load' } as const;
const toTerminated = { guard: 'loadedTerminated', target: 'terminated', actions: 'load' } as const;
const toTruncated = { guard: 'loadedTruncated', target: 'truncated', actions: 'load' } as const;
const toReady = { guard: 'loadedGoesOn', target: 'ready', actions: 'load' } as const;
const loadFrom = {
  error: [toTerminated, toTruncated, toReady],
  terminated: [toError, toTruncated, toReady],
  truncated: [toError, toTerminated, toReady],
} as const;

/** Where a loaded rollout stands: the end the end checks would pick, in their order, or null to go on. */
function loadedEnd(s: RolloutSession): Resting | null {
  if (s.failure !== null) return 'error';
  if (s.terminated) return 'terminated';
  return s.horizonReached ? 'truncated' : null;
}

/**
 * The end checks, in their order: a failure, then the environment's end,
 * then the horizon (truncation is decided here and nowhere else). `ready`
 * and `deciding` apply them after every step; LOAD applies the same three to
 * the rollout it brings (`loadFrom`).
 */
const endChecks = [
  { guard: 'failed', target: 'error' },
  { guard: 'terminated', target: 'terminated' },
  { guard: 'horizonReached', target: 'truncated' },
] as const;

type RolloutEvent =
  | { readonly type: 'STEP' }
  | { readonly type: 'LOAD'; readonly session: RolloutSession }
  /** An async agent's decision for the step being decided. */
  | { readonly type: 'DECIDED'; readonly action: Action }
  /** The async agent failed to decide (rejected). */
  | { readonly type: 'UNDECIDED'; readonly error: unknown };

export const rolloutMachine = setup({
  types: {
    context: {} as RolloutContext,
    input: {} as { session: RolloutSession },
    events: {} as RolloutEvent,
  },
  guards: {
    horizonReached: ({ context }) => context.t >= context.session.horizon,
    synchronous: ({ context }) => context.session.synchronous,
    asynchronous: ({ context }) => !context.session.synchronous,
    failed: ({ context }) => context.failure !== null,
    terminated: ({ context }) => context.terminated,
    // The same three, exclusive, on the rollout a LOAD brings (guards see the context before the transition's actions).
    loadedFailed: ({ event }) => event.type === 'LOAD' && loadedEnd(event.session) === 'error',
    loadedTerminated: ({ event }) => event.type === 'LOAD' && loadedEnd(event.session) === 'terminated',
    loadedTruncated: ({ event }) => event.type === 'LOAD' && loadedEnd(event.session) === 'truncated',
    loadedGoesOn: ({ event }) => event.type === 'LOAD' && loadedEnd(event.session) === null,
  },
  actions: {
    stepSync: assign(({ context }) => {
      // A throw that escapes the session is the run's, not the rollout's (a write that failed: a full disk). Thrown
      // inside an action, xstate would end the actor and report it unhandled; runRollout throws it to its caller instead.
      try {
        burst(context.session);
      } catch (error) {
        burstThrew = { error };
      }
      return standing(context.session);
    }),
    load: assign(({ context, event }) => standing(event.type === 'LOAD' ? event.session : context.session)),
    observe: assign(({ context }) => {
      context.session.observe();
      return standing(context.session);
    }),
    // An async step's decision: act and record, then observe for the next step unless the rollout is over.
    actAndObserve: assign(({ context, event }) => {
      const s = context.session;
      // As in stepSync: a write that failed is the run's, thrown by runRollout rather than inside the actor.
      try {
        if (context.failure === null && event.type === 'DECIDED') s.actAndRecord(event.action);
      } catch (error) {
        burstThrew = { error };
      }
      if (!s.ended) s.observe();
      return standing(s);
    }),
    // The failure is the session's, as every other failure is (endOf reads it there).
    undecided: assign(({ context, event }) => {
      context.session.failure = `agent at t=${context.t + 1}: ${errorText(event.type === 'UNDECIDED' ? event.error : 'no decision')}`;
      return standing(context.session);
    }),
  },
}).createMachine({
  id: 'rollout',
  context: ({ input }) => standing(input.session),
  initial: 'ready',
  states: {
    // Between steps: the end checks (`endChecks`, also after an async step in `deciding`).
    ready: {
      always: [
        ...endChecks,
        // Async agents: observe, then wait for the decision (runRollout asks the agent).
        { guard: 'asynchronous', target: 'deciding', actions: 'observe' },
      ],
      // (LOAD below applies the end checks, with this precedence, to the rollout it brings.)
      on: {
        // Scripted agents (and replayed prefixes): observe → decide → act → record
        // inside the transition, a burst at a time; no promise.
        STEP: { guard: 'synchronous', actions: 'stepSync' },
      },
    },
    // Waiting for an async agent's decision. DECIDED acts, records and observes the next step in one
    // transition that stays here (a model-backed step is one event and one microstep); the end checks follow it.
    deciding: {
      always: endChecks,
      on: {
        DECIDED: { actions: 'actAndObserve' },
        UNDECIDED: { target: 'error', actions: 'undecided' },
      },
    },
    // The end states. Not final: LOAD runs the next rollout on an idle actor,
    // after its first synchronous burst (see acquire): a scripted rollout of up
    // to SYNC_BURST steps is then one event and one microstep from start to end.
    terminated: { on: { LOAD: loadFrom.terminated } },
    truncated: { on: { LOAD: loadFrom.truncated } },
    error: { on: { LOAD: loadFrom.error } },
  },
});

export type RolloutActor = ActorRefFrom<typeof rolloutMachine>;
type RolloutSnapshot = SnapshotFrom<typeof rolloutMachine>;

const TERMINATED: RolloutEnd = Object.freeze({ termination: 'terminated' });
const TRUNCATED: RolloutEnd = Object.freeze({ termination: 'truncated' });

/** How `session`'s rollout ended, by the state the machine put it in; null while it goes on. */
const endOf = (snap: RolloutSnapshot, session: RolloutSession): RolloutEnd | null => {
  // The machine is flat: its state value is the state's name.
  switch (snap.value) {
    case 'terminated':
      return TERMINATED;
    case 'truncated':
      return TRUNCATED;
    case 'error':
      return { termination: 'error', error: session.failure ?? 'unknown failure' };
  }
  if (snap.status === 'error') return { termination: 'error', error: errorText(snap.error) };
  return null;
};

/** What a burst (or an async step's record) inside the actor threw, for runRollout to throw (see the stepSync action). */
let burstThrew: { readonly error: unknown } | null = null;

/** Throw what the last burst inside an actor threw, if it threw. */
function rethrowBurst(): void {
  if (burstThrew === null) return;
  const { error } = burstThrew;
  burstThrew = null;
  throw error;
}

/**
 * Idle actors, ready for LOAD, by the end state each rests in; at most
 * MAX_IDLE in each (one per rollout that was ever in flight at once).
 */
const idle: Record<Resting, RolloutActor[]> = { terminated: [], truncated: [], error: [] };
const MAX_IDLE = 64;

/**
 * An actor for `session`, which takes its first burst first. The actor is
 * one that rests where the rollout then stands, so that LOAD leaves it in
 * place (see loadFrom): an actor that moves between end states costs xstate
 * exit and entry sets and a second snapshot, and V8 compiling those paths
 * for the odd rollout, several times what a LOAD costs otherwise
 * (docs/throughput.md). Where the rollout lands is still the machine's
 * decision, by its guards, whatever actor it gets.
 */
function acquire(session: RolloutSession): RolloutActor {
  burst(session);
  const end = loadedEnd(session);
  const actor = end !== null ? idle[end].pop() : (idle.truncated.pop() ?? idle.terminated.pop() ?? idle.error.pop());
  if (actor === undefined) return createActor(rolloutMachine, { input: { session } }).start();
  actor.send({ type: 'LOAD', session });
  return actor;
}

/** An actor whose rollout ended normally goes back to the pool of its end state; a stopped or crashed one never does. */
function release(actor: RolloutActor, snap: RolloutSnapshot): void {
  const value = snap.value;
  if (snap.status !== 'active' || (value !== 'terminated' && value !== 'truncated' && value !== 'error')) return;
  const pool = idle[value];
  if (pool.length < MAX_IDLE) pool.push(actor);
}

/** Idle actors per end state (tests: actors are reused, not created per rollout). */
export function idleActors(): Record<Resting, number> {
  return { terminated: idle.terminated.length, truncated: idle.truncated.length, error: idle.error.length };
}

const STEP = { type: 'STEP' } as const;

/** The synchronous stretch: STEP while the machine is `ready`, so until the rollout ends or waits on an async agent. */
function stepWhileReady(actor: RolloutActor): RolloutSnapshot {
  let snap = actor.getSnapshot();
  while (snap.status === 'active' && snap.value === 'ready') {
    actor.send(STEP);
    rethrowBurst();
    snap = actor.getSnapshot();
  }
  return snap;
}

/**
 * Run one rollout to its end, with how it ended; an abort signal stops an
 * in-flight agent call and ends the rollout in `error`. Throws (or rejects)
 * only what is the run's rather than the rollout's: a write that failed.
 */
export function runRollout(session: RolloutSession, signal?: AbortSignal): Promise<RolloutEnd> | RolloutEnd {
  const actor = acquire(session);
  const snap = stepWhileReady(actor);
  const end = endOf(snap, session);
  if (end !== null) {
    release(actor, snap);
    return end;
  }
  // The rollout waits on its async agent: the machine is in `deciding`.
  return new Promise<RolloutEnd>((resolve, reject) => {
    let finished = false;
    // The agent's signal for the step being decided: aborted with the run (an actor per step had one of its own).
    let decision: AbortController | null = null;
    const stop = () => {
      finished = true;
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (finished) return;
      stop();
      decision?.abort();
      actor.stop();
      resolve({ termination: 'error', error: 'aborted' });
    };
    const decide = () => {
      decision = new AbortController();
      session.decideAsync(decision.signal).then(
        (action) => advance({ type: 'DECIDED', action }),
        (error: unknown) => advance({ type: 'UNDECIDED', error }),
      );
    };
    // The decision's outcome, then the next step's synchronous stretch up to its decision or the end.
    const advance = (event: RolloutEvent) => {
      if (finished) return;
      let snap: RolloutSnapshot;
      try {
        actor.send(event);
        rethrowBurst();
        snap = stepWhileReady(actor);
      } catch (e) {
        stop();
        reject(e);
        return;
      }
      const end = endOf(snap, session);
      if (end !== null) {
        stop();
        release(actor, snap);
        resolve(end);
      } else if (snap.status === 'active' && snap.value === 'deciding') decide();
      else {
        stop();
        resolve({ termination: 'error', error: `rollout machine stopped in ${String(snap.value)}` });
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    else decide();
  });
}
