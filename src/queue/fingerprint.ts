/**
 * What must match between a coordinator and a worker for the worker's
 * rollouts to be the coordinator's: the package version, the engine (and
 * the format results travel in), and the source of the environment and
 * agent modules the scenario uses. Each side computes it from its own
 * checkout; a worker refuses a job whose fingerprint differs from its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ResolvedScenario } from '../engine/index.js';

export interface Fingerprint {
  readonly version: string;
  /** Module name → sha256 of its source: `engine`, `env:<name>`, `agent:<kind>`. */
  readonly modules: Readonly<Record<string, string>>;
}

function sourceFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => sourceFiles(join(path, name)))
    .filter((f) => /\.[cm]?[jt]sx?$/.test(f));
}

function hashFiles(root: string, files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f.slice(root.length)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** A registered plugin's source: `DIR/<name>.ts`, or the folder `DIR/<name>/`. */
const pluginFiles = (dir: string, name: string): string[] => [...sourceFiles(join(dir, `${name}.ts`)), ...sourceFiles(join(dir, name))];

/** `root` is the checkout (where package.json, src/, environments/ and agents/ are). */
export function fingerprint(root: string, s: ResolvedScenario, version: string): Fingerprint {
  const modules: Record<string, string> = {};
  // What makes a step line, and the result blob that carries it (a worker on another wire format is refused, not rejected 5 times over).
  modules.engine = hashFiles(root, ['src/core', 'src/engine', 'src/log', 'src/queue/jobs.ts'].flatMap((d) => sourceFiles(join(root, d))));
  const envName = s.spec.environment;
  // An environment named by path is resolved against the scenario file, as the engine does.
  const byPath = envName.startsWith('.') || envName.startsWith('/') || /\.(m?[jt]s)$/.test(envName);
  const envFiles = byPath ? sourceFiles(resolve(s.file ? join(s.file, '..') : root, envName)) : pluginFiles(join(root, 'environments'), envName);
  modules[`env:${envName}`] = hashFiles(root, envFiles);
  const kinds = new Set<string>();
  for (const a of s.agents) {
    kinds.add(a.kind);
    for (const inner of a.def.innerAgents?.(a.params as never) ?? []) kinds.add(inner.kind);
  }
  for (const kind of [...kinds].sort()) modules[`agent:${kind}`] = hashFiles(root, pluginFiles(join(root, 'agents'), kind));
  return { version, modules };
}

/** The first difference between a job's fingerprint and this checkout's, as one phrase; null when they match. */
export function fingerprintMismatch(job: Fingerprint, mine: Fingerprint): string | null {
  if (job.version !== mine.version) return `package version ${job.version} ≠ ${mine.version} here`;
  for (const [name, hash] of Object.entries(job.modules)) {
    const here = mine.modules[name];
    if (here !== hash) return `module ${name} differs (${hash} ≠ ${here ?? 'missing'} here)`;
  }
  return null;
}
