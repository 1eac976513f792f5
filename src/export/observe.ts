/**
 * The observation texts a rollout's agent saw: logged ones (imported and
 * model-backed runs keep them under `info.observation`), else re-derived by
 * resetting the environment with the rollout's env seed and replaying its
 * logged actions, as the replay viewer does. Linear in the rollout's steps.
 */
import { createRng, hashString, stateAfter, type Action, type AnyEnvironment, type Json } from '../core/index.js';
import type { RolloutRecord, StepRecord } from '../log/index.js';

/** Texts by step (index t − 1); null where neither logged nor derivable. */
export function observationTexts(rollout: RolloutRecord, steps: readonly StepRecord[], env: { env: AnyEnvironment; params: unknown } | null): (string | null)[] {
  const logged = steps.map((s) => {
    const o = (s.info as { observation?: Json } | undefined)?.observation;
    return typeof o === 'string' ? o : null;
  });
  const envSeed = rollout.seeds?.env;
  if (logged.every((o) => o !== null) || env === null || envSeed === undefined) return logged;
  try {
    let state: unknown = env.env.reset(env.params, rollout.horizon, createRng(envSeed));
    let faithful = true;
    return steps.map((s, i) => {
      let text = logged[i];
      if (text === null && faithful) {
        text = env.env.observe(state).text;
        // A text whose hash differs from the logged one is not what the agent saw: stop deriving.
        if (s.obs !== undefined && hashString(text) !== s.obs) {
          faithful = false;
          text = null;
        }
      }
      // A refused action leaves the state as it was, as in the engine.
      state = stateAfter(env.env, state, s.action as Action);
      return text;
    });
  } catch {
    // An environment that changed since the run: keep what was logged.
    return logged;
  }
}
