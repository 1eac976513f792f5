/**
 * `hotmess play ENV`, all but the screen: the one-group scenario a person
 * plays (agent `human`), checked before anything needs a terminal so a
 * wrong environment, `--params` or `--horizon` is reported in the user's own
 * terms; the instance's instructions; and the session itself, an ordinary
 * run written as a normal run directory. The TUI (tui/play) only draws and
 * reads keys.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError, horizonProblem, zodIssue, type AnyAgentDefinition } from '../core/index.js';
import { instanceRng, parseScenario, resolveEnvironment, resolveScenario, runScenario, type Registry, type ResolvedScenario } from '../engine/index.js';
import { FILES, forEachRollout } from '../log/index.js';

export interface PlaySetupOptions {
  readonly env: string;
  readonly horizon: number;
  readonly seed?: string | number;
  readonly rollouts?: number;
  readonly params?: Record<string, unknown>;
}

export const DEFAULT_PLAY_HORIZON = 8;

/**
 * Resolve the one-group scenario a person plays (agent `human`). `registry`
 * must hold a `human` agent kind. Throws a one-line HotmessError naming
 * the argument at fault: `play: unknown environment …`, `--params: …`,
 * `--horizon H: …`.
 */
export async function playScenario(opts: PlaySetupOptions, registry: Registry): Promise<ResolvedScenario> {
  const env = await resolveEnvironment(registry, opts.env, process.cwd(), 'play');
  const params = env.params.safeParse(opts.params ?? {});
  if (!params.success) throw new HotmessError('usage', `--params: ${zodIssue(params.error, { root: '' })} (environment ${env.name})`);
  const bad = horizonProblem(env, opts.horizon, params.data);
  if (bad) throw new HotmessError('usage', `--horizon ${opts.horizon}: ${bad}`);
  const spec = parseScenario(
    {
      name: `play-${opts.env}`.replace(/[^A-Za-z0-9_.-]/g, '-'),
      description: `${opts.env} played by a person at the terminal`,
      environment: opts.env,
      params: opts.params ?? {},
      horizons: [opts.horizon],
      instances: 1,
      rollouts: opts.rollouts ?? 1,
      seed: opts.seed ?? 0,
      agents: [{ name: 'human', kind: 'human' }],
      concurrency: 1,
    },
    'play',
  );
  try {
    return await resolveScenario(spec, registry, null);
  } catch (e) {
    // What the checks above do not cover (e.g. an unknown parameter name), said as play's.
    if (e instanceof HotmessError) throw new HotmessError(e.code, e.message.replace(/^<scenario>: params/, '--params').replace(/^<scenario>: /, 'play: '));
    throw e;
  }
}

export interface PlaySessionOptions {
  readonly env: string;
  readonly registry: Registry;
  /** The `human` agent kind, bound to whatever asks the person (the play screen). */
  readonly human: AnyAgentDefinition;
  readonly horizon?: number;
  readonly seed?: string | number;
  /** Rollouts of the one instance (default 1): play it several times to see your own divergence. */
  readonly rollouts?: number;
  readonly params?: Record<string, unknown>;
  readonly out?: string;
}

/** A checked session, ready to run once a screen is up. */
export interface PlaySession {
  readonly scenario: ResolvedScenario;
  readonly registry: Registry;
  readonly horizon: number;
  readonly out: string;
  /** The instance's instructions (the same for every rollout of the one group), if the environment has any. */
  readonly instructions: string | null;
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

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/** Check the arguments and set the session up; a wrong name or horizon is the answer even without a terminal. */
export async function preparePlay(opts: PlaySessionOptions): Promise<PlaySession> {
  const registry: Registry = { environments: opts.registry.environments, agents: { ...opts.registry.agents, human: opts.human } };
  const horizon = opts.horizon ?? DEFAULT_PLAY_HORIZON;
  const scenario = await playScenario({ env: opts.env, horizon, seed: opts.seed, rollouts: opts.rollouts, params: opts.params }, registry);
  const first = scenario.env.reset(scenario.envParams, horizon, instanceRng(scenario.spec.seed, horizon, 0));
  return {
    scenario,
    registry,
    horizon,
    out: opts.out ?? join('runs', `${scenario.spec.name}-${stamp(new Date())}`),
    instructions: scenario.env.instructions?.(first) ?? null,
  };
}

/** Run the session to its end (or until `signal` aborts it: an unfinished rollout is never committed). */
export async function runPlay(session: PlaySession, o: { readonly version: string; readonly signal: AbortSignal }): Promise<PlayResult> {
  const summary = await runScenario(session.scenario, {
    out: session.out,
    registry: session.registry,
    version: o.version,
    signal: o.signal,
    manifestExtra: { notes: ['Played by a person at the terminal (hotmess play). Thinking time per step is under timing.thinkMs.'] },
  });
  return { dir: session.out, status: summary.status, rollouts: await readPlayed(session.out) };
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
