/**
 * Plugin lookup. The registries themselves live outside src/ (environments/
 * and agents/); the engine receives them, so adding a plugin never touches
 * src/. A scenario may also name an environment module by a path relative
 * to the scenario file.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorLine, didYouMean, HotmessError, type AnyAgentDefinition, type AnyEnvironment } from '../core/index.js';

export interface Registry {
  readonly environments: Readonly<Record<string, AnyEnvironment>>;
  readonly agents: Readonly<Record<string, AnyAgentDefinition>>;
}

/** Whether a scenario's `environment` names a module file rather than a registered environment. */
export const isModulePath = (name: string): boolean => name.startsWith('.') || name.startsWith('/') || /\.(m?[jt]s)$/.test(name);

function isEnvironment(x: unknown): x is AnyEnvironment {
  const e = x as Partial<AnyEnvironment> | null;
  return !!e && typeof e.reset === 'function' && typeof e.step === 'function' && typeof e.oracle === 'function' && typeof e.outcome === 'function';
}

/** Resolve an environment by registry name, or load it from a module path relative to `baseDir`. */
export async function resolveEnvironment(registry: Registry, name: string, baseDir: string, where = 'environment'): Promise<AnyEnvironment> {
  if (!isModulePath(name)) {
    const env = registry.environments[name];
    if (!env) throw new HotmessError('scenario', `${where}: unknown environment "${name}";${didYouMean(name, Object.keys(registry.environments))}`);
    return env;
  }
  const path = resolve(baseDir, name);
  if (!existsSync(path)) throw new HotmessError('scenario', `${where}: environment module not found: ${path}`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new HotmessError('scenario', `${where}: cannot load ${path}: ${errorLine(e)}`);
  }
  if (!isEnvironment(mod.default)) throw new HotmessError('scenario', `${where}: ${path} must default-export an environment made with defineEnvironment()`);
  return mod.default;
}

export function resolveAgent(registry: Registry, kind: string, where = 'agents'): AnyAgentDefinition {
  const def = registry.agents[kind];
  if (!def) throw new HotmessError('scenario', `${where}: unknown agent kind "${kind}";${didYouMean(kind, Object.keys(registry.agents))}`);
  return def;
}

export const scenarioDir = (file: string): string => dirname(resolve(file));
