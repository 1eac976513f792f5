/**
 * The one rule for applying an action to a state, shared by the engine and
 * every replay of a log (fork, the viewer): an action outside the action
 * space is refused as `invalid`, an action the transition rejects is refused
 * as `illegal`, and a refused action leaves the state as it was.
 *
 * Pure: no I/O; the environment's own `step` does the work.
 */
import { checkAction, type Action, type ActionSpace, type Environment, type StepResult } from './environment.js';

/** What applying one action gave: the next state with its patches, or why it was refused. */
export type Applied<S> = StepResult<S> | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Apply `action` at `state`. `space` is the legal action space at `state`
 * (the caller's memo, when it has one); the refusal reasons are the ones the
 * step line logs under `invalid` and `illegal`.
 */
export function applyAction<S>(env: Environment<any, S, any>, state: S, action: Action, space: ActionSpace = env.actions(state)): Applied<S> {
  const invalid = checkAction(space, action);
  if (invalid !== null) return { kind: 'invalid', reason: invalid };
  return env.step(state, action);
}

/** The state after `action`: the next state, or `state` itself when the action was refused. */
export function stateAfter<S>(env: Environment<any, S, any>, state: S, action: Action): S {
  const r = applyAction(env, state, action);
  return r.kind === 'ok' ? r.state : state;
}
