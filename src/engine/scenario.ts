/**
 * Scenario files: YAML validated with zod. Validation reports every problem
 * at once, one line each, naming the file and the field path. Resolution
 * then checks the names and params against the registries.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { canonicalJson, checkSeed, errorLine, errorText, hashString, horizonProblem, HotmessError, zodIssues, type AnyAgentDefinition, type AnyEnvironment, type SeedPart } from '../core/index.js';
import { LIMITS, sizeIssues } from './limits.js';
import { isModulePath, resolveAgent, resolveEnvironment, scenarioDir, type Registry } from './registry.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const AgentSpecSchema = z
  .object({
    name: z.string().regex(NAME, 'letters, digits, "_", "." and "-" only (it is part of rollout ids)'),
    kind: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    /** A model family, for scaling analysis (metrics spec H2); needs `scale`. */
    family: z.string().regex(NAME, 'letters, digits, "_", "." and "-" only').optional(),
    /** The agent's place on its family's ladder: parameters in billions, compute, or an ordinal; > 0. */
    scale: z.number().positive().optional(),
  })
  .strict()
  .refine((a) => (a.family === undefined) === (a.scale === undefined), { message: 'family and scale go together: give both or neither', path: ['scale'] });

export const ScenarioSchema = z
  .object({
    // Part of the default run directory name, which the file system caps at 255 bytes.
    name: z.string().regex(NAME, 'letters, digits, "_", "." and "-" only').max(100, 'at most 100 characters (it names the run directory)'),
    description: z.string().optional(),
    environment: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    horizons: z.array(z.number().int().min(1)).min(1),
    instances: z.number().int().min(1).default(1),
    rollouts: z.number().int().min(1),
    seed: z.custom<SeedPart>((v) => checkSeed(v) === null, { error: (issue) => checkSeed(issue.input) ?? 'invalid seed' }),
    agents: z.array(AgentSpecSchema).min(1),
    concurrency: z.number().int().min(1).max(LIMITS.concurrency).default(1),
    /** Worker processes on this machine (`auto`: one per core). Optional, so scenarios without it keep their hash. */
    workers: z.union([z.number().int().min(1).max(1024), z.literal('auto')]).optional(),
    /**
     * `run --queue` with model-backed agents: at most `max` model requests
     * start per `duration` ms across every worker (BullMQ's queue limiter).
     * Optional, so scenarios without it keep their hash.
     */
    queueRateLimit: z.object({ max: z.number().int().min(1), duration: z.number().int().min(1) }).strict().optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Map<number, number>();
    spec.horizons.forEach((h, i) => {
      const first = seen.get(h);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['horizons', i], message: `duplicate horizon ${h} (also horizons.${first}); each horizon is run once` });
      else seen.set(h, i);
    });
    for (const { field, message } of sizeIssues(spec)) ctx.addIssue({ code: 'custom', path: [field], message });
  });

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

/** A scenario with its plugins resolved and every params object parsed. */
export interface ResolvedScenario {
  readonly file: string | null;
  readonly spec: ScenarioFile;
  readonly env: AnyEnvironment;
  readonly envParams: unknown;
  readonly agents: readonly ResolvedAgent[];
  /** Hash of what determines the rollouts (ROLLOUT_FIELDS): a resumed run must match it. */
  readonly hash: string;
  /** The environment module's absolute path, when the scenario names one by path (recorded in the manifest). */
  readonly envModule: string | null;
}

/**
 * The fields that determine which rollouts a run holds and what each does.
 * `name`, `description` and `concurrency` do not: changing them never
 * changes a rollout, so a resume accepts them.
 */
export const ROLLOUT_FIELDS = ['environment', 'params', 'horizons', 'instances', 'rollouts', 'seed', 'agents'] as const;

/** The resume hash: only ROLLOUT_FIELDS. */
export const rolloutHash = (spec: ScenarioFile): string => hashString(canonicalJson(Object.fromEntries(ROLLOUT_FIELDS.map((k) => [k, spec[k]]))));

/** Hash of the whole spec, as runs before the rollout hash recorded it. */
export const legacyScenarioHash = (spec: ScenarioFile): string => hashString(canonicalJson(spec));

/** The ROLLOUT_FIELDS on which two specs differ, each as `field (was …, now …)`. */
export function rolloutFieldChanges(before: Record<string, unknown>, after: ScenarioFile): string[] {
  const short = (v: unknown): string => {
    const s = canonicalJson(v ?? null);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  };
  return ROLLOUT_FIELDS.filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null)).map((k) => `${k} (was ${short(before[k])}, now ${short(after[k])})`);
}

export interface ResolvedAgent {
  readonly name: string;
  readonly kind: string;
  readonly def: AnyAgentDefinition;
  readonly params: unknown;
}

const formatIssues = (file: string, error: z.ZodError): string => zodIssues(error).map((line) => `${file}: ${line}`).join('\n');

function readYaml(file: string): unknown {
  if (!existsSync(file)) throw new HotmessError('scenario', `${file}: scenario file not found`);
  if (statSync(file).isDirectory()) throw new HotmessError('scenario', `${file}: is a directory, not a scenario file`);
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HotmessError('scenario', `${file}: invalid YAML: ${errorLine(e)}`);
  }
}

/** Read and parse a scenario file (structure only). */
export function loadScenarioFile(file: string): ScenarioFile {
  return parseScenario(readYaml(file), file);
}

export function parseScenario(raw: unknown, file = '<scenario>'): ScenarioFile {
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) throw new HotmessError('scenario', formatIssues(file, parsed.error));
  return parsed.data;
}

/** Keys the user wrote that the schema does not know (zod objects strip them silently). */
function unknownKeys(input: unknown, parsed: unknown): string[] {
  if (!input || typeof input !== 'object' || Array.isArray(input) || !parsed || typeof parsed !== 'object') return [];
  return Object.keys(input).filter((k) => !(k in (parsed as object)));
}

/**
 * Resolve one agent kind and parse its params, recursing into the inner
 * agents it names; problems are pushed, one line each, under `at`.
 */
function checkAgent(registry: Registry, kind: string, params: unknown, at: string, problems: string[], depth = 0): { def: AnyAgentDefinition; params: unknown } | null {
  let def: AnyAgentDefinition;
  try {
    def = resolveAgent(registry, kind, `${at}.kind`);
  } catch (e) {
    problems.push(errorText(e));
    return null;
  }
  const p = def.params.safeParse(params ?? {});
  if (!p.success) {
    problems.push(...zodIssues(p.error, { under: `${at}.params` }));
    return null;
  }
  const extra = unknownKeys(params, p.data);
  if (extra.length) problems.push(`${at}.params: unknown parameter${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} for agent kind ${kind}`);
  if (depth < 8)
    for (const inner of def.innerAgents?.(p.data) ?? []) {
      const r = checkAgent(registry, inner.kind, inner.params, `${at}.params.${inner.path}`, problems, depth + 1);
      if (r && inner.scriptedOnly && r.def.access !== 'privileged')
        problems.push(`${at}.params.${inner.path}.kind: "${inner.kind}" is model-backed; ${kind} takes only scripted inner agents`);
    }
  return { def, params: p.data };
}

/** The parts of a scenario the plugin checks read; taken leniently from a file that failed its schema. */
interface PluginFields {
  readonly environment: string | null;
  readonly params: unknown;
  readonly horizons: readonly number[];
  readonly agents: readonly { readonly name: unknown; readonly kind: string; readonly params: unknown; readonly index: number }[];
}

function lenientFields(raw: unknown): PluginFields {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const agents = Array.isArray(r.agents) ? r.agents : [];
  return {
    environment: typeof r.environment === 'string' && r.environment.length > 0 ? r.environment : null,
    params: r.params && typeof r.params === 'object' ? r.params : {},
    horizons: Array.isArray(r.horizons) ? r.horizons.filter((h): h is number => Number.isInteger(h) && h >= 1) : [],
    agents: agents.flatMap((a, index) => {
      const o = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
      return typeof o.kind === 'string' ? [{ name: o.name, kind: o.kind, params: o.params ?? {}, index }] : [];
    }),
  };
}

interface PluginCheck {
  readonly problems: string[];
  readonly env: AnyEnvironment | null;
  readonly envParams: unknown;
  readonly agents: ResolvedAgent[];
}

/** Resolve the environment and agents against the registries; every problem is collected, one line each. */
async function checkPlugins(f: PluginFields, registry: Registry, file: string | null, envModule?: string): Promise<PluginCheck> {
  const where = file ?? '<scenario>';
  const problems: string[] = [];
  let env: AnyEnvironment | null = null;
  let envParams: unknown = null;
  if (f.environment !== null) {
    try {
      env = await resolveEnvironment(registry, envModule ?? f.environment, file ? scenarioDir(file) : process.cwd(), `${where}: environment`);
      const p = env.params.safeParse(f.params);
      if (!p.success) problems.push(...zodIssues(p.error, { under: 'params' }).map((line) => `${where}: ${line}`));
      else {
        envParams = p.data;
        const extra = unknownKeys(f.params, p.data);
        if (extra.length) problems.push(`${where}: params: unknown parameter${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} for environment ${env.name}`);
        f.horizons.forEach((h, i) => {
          const msg = horizonProblem(env!, h, envParams);
          if (msg) problems.push(`${where}: horizons.${i}: ${msg}`);
        });
      }
    } catch (e) {
      problems.push(errorText(e));
    }
  }
  const agents: ResolvedAgent[] = [];
  const names = new Set<unknown>();
  for (const a of f.agents) {
    if (names.has(a.name)) problems.push(`${where}: agents.${a.index}.name: duplicate agent name "${String(a.name)}"`);
    names.add(a.name);
    const resolved = checkAgent(registry, a.kind, a.params, `${where}: agents.${a.index}`, problems);
    if (resolved) agents.push({ name: String(a.name), kind: a.kind, def: resolved.def, params: resolved.params });
  }
  return { problems, env, envParams, agents };
}

/** Resolve plugins and params; all problems are reported together. */
/**
 * `envModule`: where a module-path environment is, when the spec comes from
 * a run's manifest rather than the scenario file its path is relative to.
 */
export async function resolveScenario(spec: ScenarioFile, registry: Registry, file: string | null, envModule?: string): Promise<ResolvedScenario> {
  const fields: PluginFields = { ...spec, agents: spec.agents.map((a, index) => ({ ...a, index })) };
  const { problems, env, envParams, agents } = await checkPlugins(fields, registry, file, envModule);
  if (problems.length > 0 || !env) throw new HotmessError('scenario', problems.join('\n'));
  const module = isModulePath(spec.environment) ? (envModule ?? resolve(file ? scenarioDir(file) : process.cwd(), spec.environment)) : null;
  return { file, spec, env, envParams, agents, hash: rolloutHash(spec), envModule: module };
}

/**
 * Load, validate and resolve a scenario file. When the structure is wrong,
 * the plugin checks still run on what can be read, so the user sees every
 * problem in one pass rather than one layer at a time.
 */
export async function loadScenario(file: string, registry: Registry): Promise<ResolvedScenario> {
  const raw = readYaml(file);
  const parsed = ScenarioSchema.safeParse(raw);
  if (parsed.success) return resolveScenario(parsed.data, registry, file);
  const { problems } = await checkPlugins(lenientFields(raw), registry, file);
  throw new HotmessError('scenario', [formatIssues(file, parsed.error), ...problems].join('\n'));
}
