/**
 * `hotmess envs check` and the check `scenario validate` runs on an
 * environment named by module path: `checkEnvironment` on the author's own
 * file, with horizons the environment accepts. Registered environments are
 * checked by their own tests; a module path is the author's code, checked
 * here before any rollout depends on it.
 */
import { checkEnvironment, formatFailure, HotmessError, type AnyEnvironment, type CheckFailure } from '../core/index.js';
import { resolveEnvironment, type ResolvedScenario } from '../engine/index.js';
import { REGISTRY } from './registry.js';

/** Horizons tried when none are given: small, and of the shapes environments ask for (2ⁿ−1, powers of two). */
const CANDIDATE_HORIZONS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32];

export interface EnvCheckReport {
  readonly environment: string;
  readonly params: unknown;
  readonly horizons: number[];
  readonly seeds: string[];
  readonly ok: boolean;
  readonly failures: CheckFailure[];
}

/** The first `count` candidate horizons that `checkHorizon` accepts for these params. */
export function defaultHorizons(env: AnyEnvironment, params: unknown, count = 3): number[] {
  const parsed = env.params.safeParse(params ?? {});
  if (!parsed.success) return [CANDIDATE_HORIZONS[0]];
  return CANDIDATE_HORIZONS.filter((h) => (env.checkHorizon?.(h, parsed.data) ?? null) === null).slice(0, count);
}

export async function checkEnvironmentByName(name: string, options: { params?: unknown; horizons?: number[]; seeds?: string[] } = {}): Promise<EnvCheckReport> {
  const env = await resolveEnvironment(REGISTRY, name, process.cwd(), 'envs check');
  const params = options.params ?? {};
  const horizons = options.horizons ?? defaultHorizons(env, params);
  if (horizons.length === 0) throw new HotmessError('usage', `envs check: ${env.name} accepts none of the horizons ${CANDIDATE_HORIZONS.join(', ')}; give some with --horizons`);
  const seeds = options.seeds ?? ['check-0', 'check-1'];
  const failures = checkEnvironment(env, params, horizons, { seeds });
  return { environment: env.name, params, horizons, seeds, ok: failures.length === 0, failures };
}

/** Problems, one line each, from checking a scenario's module-path environment on its two smallest horizons; [] for registered ones. */
export function moduleEnvironmentProblems(s: ResolvedScenario, file: string): string[] {
  if (Object.hasOwn(REGISTRY.environments, s.spec.environment)) return [];
  const horizons = [...new Set(s.spec.horizons)].sort((a, b) => a - b).slice(0, 2);
  return checkEnvironment(s.env, s.envParams, horizons).map((f) => `${file}: environment ${s.spec.environment}: ${formatFailure(f)}`);
}
