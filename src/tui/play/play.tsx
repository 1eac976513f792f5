/**
 * The screen of `hotmess play ENV`: a person is the agent. The session
 * (workflows/play.ts) runs an ordinary one-instance scenario whose agent is
 * the `human` kind, bound here to the play screen through a turn channel.
 * Quitting aborts the run: an unfinished rollout is never committed.
 */
import { render } from 'ink';
import { HotmessError, type Action, type AnyAgentDefinition } from '../../core/index.js';
import { preparePlay, runPlay, type PlayResult, type PlaySessionOptions } from '../../workflows/index.js';
import { TurnChannel, type Turn } from './channel.js';
import { PlayApp } from './PlayApp.js';

/** The session's options, with the `human` kind still to be bound to this screen. */
export interface PlayOptions extends Omit<PlaySessionOptions, 'human'> {
  /** The `human` agent kind bound to a chooser (agents/human.ts). */
  readonly humanAgent: (choose: (turn: Turn, signal: AbortSignal) => Promise<Action>) => AnyAgentDefinition;
  readonly version: string;
  /** stdin and stdout are terminals (the CLI decides; default: this process's). */
  readonly terminal?: boolean;
}

export async function play(opts: PlayOptions): Promise<PlayResult> {
  const channel = new TurnChannel();
  const controller = new AbortController();
  // Arguments first: a wrong name or horizon is the answer even without a terminal.
  const session = await preparePlay({ ...opts, human: opts.humanAgent(channel.choose) });
  const terminal = opts.terminal ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  if (!terminal) throw new HotmessError('usage', 'play needs an interactive terminal: stdin and stdout must be a TTY (it reads your keys)');
  const { scenario, horizon } = session;
  const app = render(
    <PlayApp
      channel={channel}
      title={`hotmess play · ${scenario.env.name} · horizon ${horizon} · seed ${scenario.spec.seed}`}
      horizon={horizon}
      rollouts={scenario.spec.rollouts}
      instructions={session.instructions}
      onQuit={() => controller.abort()}
    />,
    { exitOnCtrlC: false },
  );
  try {
    return await runPlay(session, { version: opts.version, signal: controller.signal });
  } finally {
    app.clear();
    app.unmount();
  }
}
