/**
 * human: a person chooses every action (`hotmess play`). The agent only
 * relays: `act` hands the turn to a `Chooser` that the terminal UI supplies
 * and awaits the answer. It sees what a model-backed agent sees: the
 * observation text and the legal actions, never the true state.
 *
 * The registered kind has no chooser: a scenario naming it ends each
 * rollout in `error` with a message pointing to `hotmess play`.
 */
import { z } from 'zod';
import { defineAgent, HotmessError, type Action, type ActionSpace, type AgentDefinition, type History, type Observation, type RolloutCoordinates } from '../src/core/index.js';

/** One decision put to the person. */
export interface HumanTurn {
  readonly observation: Observation;
  readonly legal: ActionSpace;
  /** The rollout's past steps, with the feedback of refused actions. */
  readonly history: History;
  readonly rollout: RolloutCoordinates;
}

/** Resolves with the person's action; rejects when `signal` aborts. */
export type Chooser = (turn: HumanTurn, signal: AbortSignal) => Promise<Action>;

const Params = z.object({}).strict();

export function humanAgent(choose: Chooser | null): AgentDefinition<z.infer<typeof Params>> {
  return defineAgent({
    kind: 'human',
    description: 'A person at the terminal chooses every action (use: hotmess play ENV).',
    params: Params,
    access: 'observation',
    usesHistory: true,
    create(_params, ctx) {
      if (!choose) throw new HotmessError('agent', 'the human agent needs a person at a terminal: use `hotmess play ENV`');
      let thinkMs = 0;
      return {
        async: true,
        async act(observation, history, _rng, signal) {
          const started = Date.now();
          const action = await choose({ observation, legal: ctx.legal(), history, rollout: ctx.rollout }, signal);
          thinkMs = Date.now() - started;
          return action;
        },
        // Wall-clock lives under `timing` only, so determinism checks drop it.
        report: () => ({ timing: { thinkMs } }),
      };
    },
  });
}

export default humanAgent(null);
