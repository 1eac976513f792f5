/**
 * A rollout as an xstate v5 machine run as an actor:
 *
 *   ready ─STEP→ observing → deciding → acting (records) → ready …
 *
 * ending in exactly one of three final states: `terminated` (the
 * environment reached an end state), `truncated` (the horizon was reached;
 * applied here and nowhere else) or `error` (an infrastructure failure, with
 * a message). Synchronous agents run whole steps inside one transition, so
 * a scripted rollout runs to completion without a single promise; async
 * agents are invoked as promise actors and can be aborted.
 */
import { createActor, fromPromise, setup, assign, type ActorRefFrom } from 'xstate';
import type { Action } from '../core/index.js';
import type { RolloutSession } from './session.js';

export type RolloutEnd =
  | { readonly termination: 'terminated' }
  | { readonly termination: 'truncated' }
  | { readonly termination: 'error'; readonly error: string };

interface Context {
  readonly session: RolloutSession;
}

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Synchronous steps run per STEP event. Each event is one bounded xstate
 * macrostep; running a burst of scripted steps per event keeps the actor's
 * bookkeeping (about 10 µs per event) off the per-step hot path. Scripted
 * rollouts never yield inside a rollout anyway (runRollout sends the next
 * STEP at once), so the bound only caps the work done per event.
 */
export const SYNC_BURST = 1024;

export const rolloutMachine = setup({
  types: {
    context: {} as Context,
    input: {} as { session: RolloutSession },
    events: {} as { type: 'STEP' },
  },
  actors: {
    decide: fromPromise<Action, { session: RolloutSession }>(({ input, signal }) => input.session.decideAsync(signal)),
  },
  guards: {
    horizonReached: ({ context }) => context.session.horizonReached,
    synchronous: ({ context }) => context.session.synchronous,
    failed: ({ context }) => context.session.failure !== null,
    terminated: ({ context }) => context.session.terminated,
  },
  actions: {
    stepSync: ({ context }) => {
      const s = context.session;
      for (let i = 0; i < SYNC_BURST && !s.ended && s.synchronous; i++) s.stepSync();
    },
    observe: ({ context }) => context.session.observe(),
    storeDecision: assign(({ context, event }) => {
      context.session.action = (event as unknown as { output: Action }).output;
      return {};
    }),
    storeAgentError: assign(({ context, event }) => {
      const s = context.session;
      s.failure = `agent at t=${s.t + 1}: ${errorMessage((event as unknown as { error: unknown }).error)}`;
      return {};
    }),
    actAndRecord: ({ context }) => {
      if (context.session.failure === null) context.session.actAndRecord();
    },
  },
}).createMachine({
  id: 'rollout',
  context: ({ input }) => ({ session: input.session }),
  initial: 'ready',
  states: {
    // Between steps. The end checks live here and only here: truncation at
    // the horizon is decided in this one place.
    ready: {
      always: [
        { guard: 'failed', target: 'error' },
        { guard: 'terminated', target: 'terminated' },
        { guard: 'horizonReached', target: 'truncated' },
      ],
      on: {
        STEP: [
          // Scripted agents (and replayed prefixes): observe → decide → act → record
          // inside the transition, a short burst at a time; no promise.
          { guard: 'synchronous', actions: 'stepSync' },
          { target: 'observing' },
        ],
      },
    },
    observing: {
      entry: 'observe',
      always: [{ guard: 'failed', target: 'error' }, { target: 'deciding' }],
    },
    deciding: {
      invoke: {
        src: 'decide',
        input: ({ context }) => ({ session: context.session }),
        onDone: { target: 'acting', actions: 'storeDecision' },
        onError: { target: 'error', actions: 'storeAgentError' },
      },
    },
    acting: {
      always: { target: 'ready', actions: 'actAndRecord' },
    },
    terminated: { type: 'final' },
    truncated: { type: 'final' },
    error: { type: 'final' },
  },
});

export type RolloutActor = ActorRefFrom<typeof rolloutMachine>;

/**
 * Run one rollout to its end. Resolves (never rejects) with how it ended;
 * an abort signal stops an in-flight agent call and ends the rollout in `error`.
 */
export function runRollout(session: RolloutSession, signal?: AbortSignal): Promise<RolloutEnd> | RolloutEnd {
  const actor = createActor(rolloutMachine, { input: { session } });
  actor.start();
  const STEP = { type: 'STEP' } as const;
  // Synchronous stretch: step until done or until an async agent call is pending.
  let snap = actor.getSnapshot();
  while (snap.status !== 'done' && snap.value === 'ready') {
    actor.send(STEP);
    snap = actor.getSnapshot();
  }
  if (snap.status === 'done') return endOf(snap.value as string, session);
  return new Promise<RolloutEnd>((resolve) => {
    let finished = false;
    const finish = (end: RolloutEnd) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      resolve(end);
    };
    const onAbort = () => {
      session.failure = 'aborted';
      actor.stop();
      finish({ termination: 'error', error: 'aborted' });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const sub = actor.subscribe({
      next: (s) => {
        if (s.status === 'done') finish(endOf(s.value as string, session));
        else if (s.value === 'ready') queueMicrotask(() => actor.send(STEP));
      },
      error: (e) => finish({ termination: 'error', error: errorMessage(e) }),
    });
  });
}

function endOf(state: string, session: RolloutSession): RolloutEnd {
  if (state === 'terminated') return { termination: 'terminated' };
  if (state === 'truncated') return { termination: 'truncated' };
  return { termination: 'error', error: session.failure ?? 'unknown failure' };
}
