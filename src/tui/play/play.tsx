/**
 * `hotmess play ENV`: a person is the agent. The engine runs an ordinary
 * one-instance scenario whose agent is the `human` kind, bound to the play
 * screen, so the session is written as a normal run directory (manifest,
 * rollouts.jsonl, steps.jsonl) that `replay` and `analyze` read like any
 * other. Quitting aborts the run: an unfinished rollout is never committed.
 */
import { render } from 'ink';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, HotmessError, rolloutSeeds, type Action, type AnyAgentDefinition } from '../../core/index.js';
import { runScenario, type Registry } from '../../engine/index.js';
import { FILES, forEachRollout } from '../../log/index.js';
import { TurnChannel, type Turn } from './channel.js';
import { PlayApp } from './PlayApp.js';
import { playScenario } from './setup.js';

export interface PlayOptions {
  readonly env: string;
  readonly registry: Registry;
  /** The `human` agent kind bound to a chooser (agents/human.ts). */
  readonly humanAgent: (choose: (turn: Turn, signal: AbortSignal) => Promise<Action>) => AnyAgentDefinition;
  readonly version: string;
  readonly horizon?: number;
  readonly seed?: string | number;
  /** Rollouts of the one instance (default 1): play it several times to see your own divergence. */
  readonly rollouts?: number;
  readonly params?: Record<string, unknown>;
  readonly out?: string;
  /** stdin and stdout are terminals (the CLI decides; default: this process's). */
  readonly terminal?: boolean;
}

export interface PlayedRollout {
  readonly id: string;
  readonly termination: string;
  readonly length: number;
  readonly return: number | null;
  readonly success: boolean | null;
}

export interface PlayResult {
  readonly dir: string;
  readonly status: 'finished' | 'interrupted' | 'running' | 'failed';
  readonly rollouts: readonly PlayedRollout[];
}

export const DEFAULT_PLAY_HORIZON = 8;

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function play(opts: PlayOptions): Promise<PlayResult> {
  const channel = new TurnChannel();
  const controller = new AbortController();
  const registry: Registry = { environments: opts.registry.environments, agents: { ...opts.registry.agents, human: opts.humanAgent(channel.choose) } };
  const horizon = opts.horizon ?? DEFAULT_PLAY_HORIZON;
  // Arguments first: a wrong name or horizon is the answer even without a terminal.
  const scenario = await playScenario({ env: opts.env, horizon, seed: opts.seed, rollouts: opts.rollouts, params: opts.params }, registry);
  const spec = scenario.spec;
  const terminal = opts.terminal ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  if (!terminal) throw new HotmessError('usage', 'play needs an interactive terminal: stdin and stdout must be a TTY (it reads your keys)');
  const out = opts.out ?? join('runs', `${spec.name}-${stamp(new Date())}`);
  // Instructions are fixed per instance; every rollout of the one group shares its env seed.
  const first = scenario.env.reset(scenario.envParams, horizon, createRng(rolloutSeeds(spec.seed, 'human', horizon, 0, 0).env));
  const instructions = scenario.env.instructions?.(first) ?? null;

  const app = render(
    <PlayApp channel={channel} title={`hotmess play · ${scenario.env.name} · horizon ${horizon} · seed ${spec.seed}`} horizon={horizon} rollouts={spec.rollouts} instructions={instructions} onQuit={() => controller.abort()} />,
    { exitOnCtrlC: false },
  );
  let status: PlayResult['status'];
  try {
    const summary = await runScenario(scenario, {
      out,
      registry,
      version: opts.version,
      signal: controller.signal,
      manifestExtra: { notes: ['Played by a person at the terminal (hotmess play). Thinking time per step is under timing.thinkMs.'] },
    });
    status = summary.status;
  } finally {
    app.clear();
    app.unmount();
  }
  return { dir: out, status, rollouts: await readPlayed(out) };
}

/** The rollouts the session committed (none when it stopped before the first). */
async function readPlayed(dir: string): Promise<PlayedRollout[]> {
  const file = join(dir, FILES.rollouts);
  if (!existsSync(file)) return [];
  const played: PlayedRollout[] = [];
  await forEachRollout(file, (r) => {
    played.push({ id: r.rollout, termination: r.termination, length: r.length, return: r.return ?? null, success: r.outcome?.success ?? null });
  });
  return played;
}
