/**
 * Shared moves of scripted agents (agents/*.ts compose these): a uniformly
 * drawn wrong action, a random action, and a deterministic systematic
 * deviation. Pure given the Rng.
 */
import { actionKey, hashString } from './canonical.js';
import { HotmessError } from './errors.js';
import type { Action } from './environment.js';
import type { PrivilegedContext } from './agent.js';
import type { Rng } from './rng.js';

/** The context narrowed to privileged access, or a clear error naming the agent kind. */
export function privileged(ctx: { access: string }, kind: string): PrivilegedContext {
  if (ctx.access !== 'privileged') throw new HotmessError('agent', `${kind} agent needs privileged access to the environment`);
  return ctx as PrivilegedContext;
}

/**
 * A wrong action: on a discrete space, uniform over the legal actions other
 * than `correct`; on a continuous space, the environment's documented
 * `perturb` distribution.
 */
export function wrongAction(ctx: PrivilegedContext, correct: Action, rng: Rng): Action {
  const space = ctx.legal();
  if (space.kind === 'continuous') {
    if (!ctx.env.perturb) throw new HotmessError('agent', `environment ${ctx.envName} has numeric actions but no perturb(): noisy agents cannot draw errors`);
    return ctx.env.perturb(ctx.state(), rng);
  }
  const acts = space.actions;
  const correctKey = actionKey(correct);
  let correctIndex = -1;
  for (let i = 0; i < acts.length; i++) {
    if (acts[i] === correct || actionKey(acts[i]) === correctKey) {
      correctIndex = i;
      break;
    }
  }
  const m = acts.length - (correctIndex >= 0 ? 1 : 0);
  if (m <= 0) return correct;
  let k = rng.int(m);
  if (correctIndex >= 0 && k >= correctIndex) k += 1;
  return acts[k];
}

/** A random legal action: uniform on a discrete space, `perturb` around the oracle otherwise. */
export function randomAction(ctx: PrivilegedContext, rng: Rng): Action {
  const space = ctx.legal();
  if (space.kind === 'discrete') return space.actions[rng.int(space.actions.length)];
  if (!ctx.env.perturb) throw new HotmessError('agent', `environment ${ctx.envName} has numeric actions but no perturb(): random agents cannot draw actions`);
  return ctx.env.perturb(ctx.state(), rng);
}

/**
 * The deviation a consistently wrong agent makes at this state: the
 * environment's `systematicError` if it has one, else the first legal
 * action that is not the oracle's. Deterministic, so identical in every rollout.
 */
export function systematicAction(ctx: PrivilegedContext, correct: Action): Action {
  const state = ctx.state();
  if (ctx.env.systematicError) return ctx.env.systematicError(state);
  const space = ctx.legal();
  if (space.kind === 'continuous') throw new HotmessError('agent', `environment ${ctx.envName} has numeric actions but no systematicError(): biased agents cannot deviate`);
  const correctKey = actionKey(correct);
  for (const a of space.actions) if (a !== correct && actionKey(a) !== correctKey) return a;
  return correct;
}

/** A deterministic fraction in [0, 1) from a state hash: the same state always gives the same value. */
export function stateFraction(stateHash: string, salt: string): number {
  // The low 32 bits: the top hex digit of a 53-bit hash is only 0 or 1.
  return parseInt(hashString(stateHash, salt.length * 7919 + 17).slice(-8), 16) / 0x100000000;
}
