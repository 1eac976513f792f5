/**
 * The scenario behind `hotmess play ENV`, checked before anything needs a
 * terminal: a wrong environment, `--params` or `--horizon` is reported in
 * the user's own terms (the argument or flag, with what is valid), whether
 * or not a TTY is attached. No ink here.
 */
import { HotmessError, horizonProblem } from '../../core/index.js';
import { parseScenario, resolveEnvironment, resolveScenario, type Registry, type ResolvedScenario } from '../../engine/index.js';

export interface PlaySetupOptions {
  readonly env: string;
  readonly horizon: number;
  readonly seed?: string | number;
  readonly rollouts?: number;
  readonly params?: Record<string, unknown>;
}

/**
 * Resolve the one-group scenario a person plays (agent `human`). `registry`
 * must hold a `human` agent kind. Throws a one-line HotmessError naming
 * the argument at fault: `play: unknown environment …`, `--params: …`,
 * `--horizon H: …`.
 */
export async function playScenario(opts: PlaySetupOptions, registry: Registry): Promise<ResolvedScenario> {
  const env = await resolveEnvironment(registry, opts.env, process.cwd(), 'play');
  const params = env.params.safeParse(opts.params ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new HotmessError('usage', `--params: ${path}${issue?.message ?? 'invalid'} (environment ${env.name})`);
  }
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
