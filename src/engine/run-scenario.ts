/**
 * The scenario a run was made from, rebuilt from its manifest (fork,
 * `run --replay`, replay's observations). A module-path environment is
 * loaded from the absolute path the manifest records, so it stays
 * resolvable from anywhere, not only from the scenario file's directory.
 */
import { join } from 'node:path';
import { HotmessError } from '../core/index.js';
import { FILES, readManifest, type Manifest } from '../log/index.js';
import { isModulePath, type Registry } from './registry.js';
import { legacyScenarioHash, parseScenario, resolveScenario, type ResolvedScenario } from './scenario.js';

/** Throws a one-line error naming the manifest when the run has no scenario, or the scenario no longer resolves. */
export async function resolveRunScenario(run: string, registry: Registry, manifest: Manifest = readManifest(run)): Promise<ResolvedScenario> {
  const where = join(run, FILES.manifest);
  if (!manifest.scenario) throw new HotmessError('usage', `${where}: has no scenario (imported runs have no environment to continue)`);
  const spec = parseScenario(manifest.scenario, `${where}: scenario`);
  const module = manifest.environment.module;
  let s: ResolvedScenario;
  try {
    s = await resolveScenario(spec, registry, null, module);
  } catch (e) {
    if (e instanceof HotmessError && isModulePath(spec.environment) && !module)
      throw new HotmessError(e.code, `${e.message} (this run predates recorded module paths: run the command from the directory of its scenario file)`);
    throw e;
  }
  if (manifest.scenarioHash !== undefined && manifest.scenarioHash !== s.hash && manifest.scenarioHash !== legacyScenarioHash(spec))
    throw new HotmessError('log', `${where}: the recorded scenario does not match its hash (${manifest.scenarioHash}); refusing to use it`);
  return s;
}
