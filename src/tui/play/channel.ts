/**
 * The meeting point of the engine and the person: the human agent's `act`
 * puts a turn here and waits; the play screen shows the pending turn and
 * answers it. A tiny external store (subscribe/snapshot) for React.
 */
import type { Action, ActionSpace, History, Observation, RolloutCoordinates } from '../../core/index.js';

/** One decision put to the person (the human agent's turn). */
export interface Turn {
  readonly observation: Observation;
  readonly legal: ActionSpace;
  readonly history: History;
  readonly rollout: RolloutCoordinates;
}

export interface PlaySnapshot {
  /** The turn awaiting an answer, if any. */
  readonly turn: Turn | null;
  /** Turns answered so far, over all rollouts. */
  readonly answered: number;
}

export class TurnChannel {
  private snap: PlaySnapshot = { turn: null, answered: 0 };
  private resolve: ((a: Action) => void) | null = null;
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): PlaySnapshot => this.snap;

  /** The human agent's chooser: resolves with the person's answer, rejects on abort. */
  readonly choose = (turn: Turn, signal: AbortSignal): Promise<Action> =>
    new Promise<Action>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('aborted'));
      const onAbort = () => reject(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      // The rollout's signal lives for the whole game: drop the listener once answered.
      this.resolve = (a) => {
        signal.removeEventListener('abort', onAbort);
        resolve(a);
      };
      this.set({ ...this.snap, turn });
    });

  /** Answer the pending turn (ignored when none is pending). */
  answer(action: Action): void {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    this.set({ turn: null, answered: this.snap.answered + 1 });
    resolve(action);
  }

  private set(next: PlaySnapshot): void {
    this.snap = next;
    for (const l of this.listeners) l();
  }
}
