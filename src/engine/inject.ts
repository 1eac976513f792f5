/**
 * Error injection for forks (the self-conditioning experiment of Sinha et
 * al. 2025; metrics spec H3). Before a continuation starts, each of the K
 * logged prefix actions is, with probability R, replaced by a wrong legal
 * action (uniform over the other legal actions; `perturb` on numeric ones).
 * The environment follows the injected actions, so the agent really is in
 * the state its history says. A step not injected keeps its logged
 * correctness: a logged step that took the oracle's action takes the oracle's
 * action at the injected state; a logged error stays an error (the logged
 * action when still legal and wrong, else a fresh wrong one). Each
 * continuation gets its own injection, seeded by
 * derive(seed, "inject", rollout, K, index). Pure given its inputs.
 */
import { actionKey, checkAction, createRng, deriveSeed, HotmessError, stateAfter, type Action, type AnyEnvironment, type Rng } from '../core/index.js';
import type { ForkSource } from './fork-source.js';

/** A legal action other than `correct`, or null when there is none. */
function wrongLegal(env: AnyEnvironment, state: unknown, correct: Action, rng: Rng): Action | null {
  const space = env.actions(state);
  if (space.kind === 'continuous') {
    if (!env.perturb) throw new HotmessError('usage', `--inject-rate: environment ${env.name} has numeric actions and no perturb(): there is no wrong action to inject`);
    return env.perturb(state, rng) as Action;
  }
  const key = actionKey(correct);
  const others = space.actions.filter((a) => actionKey(a as Action) !== key) as Action[];
  return others.length > 0 ? others[rng.int(others.length)] : null;
}

export interface InjectedPrefix {
  readonly actions: Action[];
  /** Steps (1..K) whose action was replaced by an injected error. */
  readonly injected: number[];
}

export function injectErrors(src: ForkSource, rate: number, index: number): InjectedPrefix {
  const env = src.scenario.env;
  const params = src.scenario.envParams;
  const K = src.prefix.length;
  const rng = createRng(deriveSeed(src.scenario.spec.seed, 'inject', src.record.rollout, K, index));
  let original: unknown = env.reset(params, src.record.horizon, createRng(src.envSeed));
  let state: unknown = env.reset(params, src.record.horizon, createRng(src.envSeed));
  const actions: Action[] = [];
  const injected: number[] = [];
  for (let t = 1; t <= K; t++) {
    const logged = src.prefix[t - 1];
    const loggedRight = actionKey(logged) === actionKey(env.oracle(original) as Action);
    const oracle = env.oracle(state) as Action;
    // One draw per step whatever happens, so step t's injection does not depend on earlier choices.
    const inject = rng.next() < rate;
    let action: Action;
    if (inject) {
      action = wrongLegal(env, state, oracle, rng) ?? oracle;
      if (actionKey(action) !== actionKey(oracle)) injected.push(t);
    } else if (loggedRight) action = oracle;
    else action = checkAction(env.actions(state), logged) === null && actionKey(logged) !== actionKey(oracle) ? logged : (wrongLegal(env, state, oracle, rng) ?? oracle);
    actions.push(action);
    state = stateAfter(env, state, action);
    original = stateAfter(env, original, logged);
  }
  return { actions, injected };
}
