/**
 * `hotmess export inspect RUN --out FILE.eval|FILE.json|DIR`: a run
 * directory as one Inspect EvalLog (format version 2), so it can be browsed
 * in `inspect view`. One task named after the run; each agent × horizon ×
 * instance is a sample `agent:horizon:instance`, each rollout an epoch.
 * Messages alternate observation (user) and action (assistant); scores
 * carry the outcome; reductions the group means; the eval's metadata the
 * scenario, seeds and each group's incoherence, bias² and variance. Each
 * sample's metadata also carries the rollout and step records it came
 * from, so `hotmess import inspect` restores the run exactly.
 *
 * Writes to a temporary sibling and renames, so `--out` is never a
 * half-written log. Steps are streamed one rollout at a time. Reads the run
 * directory and its analysis; runs nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { analyzeRun, type AnalysisDocument } from '../analysis/index.js';
import { canonicalJson, hashString, HotmessError, type AnyEnvironment, type Json } from '../core/index.js';
import { LOSSLESS_KEY, LOSSLESS_SCHEMA } from '../import/index.js';
import { FILES, groupId, forEachRollout, readManifest, type Manifest, type RolloutRecord, type StepRecord } from '../log/index.js';
import { observationTexts } from './observe.js';
import { allSteps, NotContiguous, streamRolloutSteps } from './rollout-steps.js';
import { ZipWriter } from './zip-write.js';

export const INSPECT_LOG_VERSION = 2;

export interface ExportOptions {
  /** A `.eval` or `.json` file, or a directory (the file then gets Inspect's timestamped name). */
  readonly out: string;
  /** Look an environment up by name, to re-derive observation texts that were not logged. */
  readonly resolveEnvironment?: (name: string) => AnyEnvironment | undefined;
  readonly version?: string;
}

export interface ExportSummary {
  readonly file: string;
  readonly format: 'eval' | 'json';
  readonly samples: number;
  readonly epochs: number;
  readonly rollouts: number;
  readonly steps: number;
  /** Steps whose observation text is in the log (logged or re-derived). */
  readonly observations: number;
}

type Obj = { [k: string]: Json };

interface Group {
  readonly id: string;
  readonly rollouts: RolloutRecord[];
}

const STATUS: Record<Manifest['status'], string> = { finished: 'success', interrupted: 'cancelled', failed: 'error', running: 'started' };

/** Inspect's timestamps: ISO 8601 with a +00:00 offset. */
const isoTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** Inspect ids are 22 characters; ours are derived from the run so an export is deterministic. */
const idOf = (...parts: string[]): string => (hashString(parts.join('\u0000')) + hashString(parts.join('\u0001'))).slice(0, 22);

async function readRun(run: string): Promise<{ manifest: Manifest; groups: Group[]; rollouts: Map<string, { group: Group; record: RolloutRecord }> }> {
  const manifest = readManifest(run);
  const byId = new Map<string, RolloutRecord>();
  await forEachRollout(join(run, FILES.rollouts), (r) => void byId.set(r.rollout, r));
  const groups = new Map<string, Group>();
  const rollouts = new Map<string, { group: Group; record: RolloutRecord }>();
  for (const r of byId.values()) {
    const id = groupId(r.agent, r.horizon, r.instance);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, rollouts: [] }));
    g.rollouts.push(r);
    rollouts.set(r.rollout, { group: g, record: r });
  }
  for (const g of groups.values()) g.rollouts.sort((a, b) => a.index - b.index);
  return { manifest, groups: [...groups.values()], rollouts };
}

function messagesOf(rollout: RolloutRecord, steps: readonly StepRecord[], texts: readonly (string | null)[]): Obj[] {
  const out: Obj[] = [];
  steps.forEach((s, i) => {
    out.push({ role: 'user', content: texts[i] ?? `(step ${s.t}: observation ${s.obs ?? 'not logged'})`, source: 'input' });
    const refused = s.illegal ?? s.invalid;
    const action = `action: ${canonicalJson(s.action)}${refused !== undefined ? ` (refused: ${refused})` : ''}`;
    out.push({ role: 'assistant', content: s.text !== undefined ? `${s.text}\n\n${action}` : action, source: 'generate', model: rollout.agent });
  });
  return out;
}

const outcomeValue = (v: number | number[]): Json => (Array.isArray(v) ? (v.length === 1 ? v[0] : v) : v);

function sampleOf(group: Group, r: RolloutRecord, steps: readonly StepRecord[], texts: readonly (string | null)[]): Obj {
  const messages = messagesOf(r, steps, texts);
  const last = [...messages].reverse().find((m) => m.role === 'assistant');
  const outcome = r.outcome ?? null;
  const scores: Obj | null = outcome
    ? {
        success: { value: outcome.success ? 'C' : 'I', history: [] },
        outcome: { value: outcomeValue(outcome.value), metadata: { kind: outcome.kind, target: outcome.target as Json }, history: [] },
      }
    : null;
  return {
    id: group.id,
    epoch: r.index + 1,
    input: texts[0] ?? `hotmess group ${group.id}`,
    target: outcome ? canonicalJson(outcome.target as Json) : '',
    messages,
    output: {
      model: r.agent,
      choices: last ? [{ message: last, stop_reason: r.termination === 'terminated' ? 'stop' : 'unknown' }] : [],
      completion: last ? (last.content as string) : '',
    },
    ...(scores ? { scores } : {}),
    metadata: { [LOSSLESS_KEY]: { rollout: r as unknown as Json, steps: steps as unknown as Json } },
    store: {},
    events: [],
    model_usage: {},
    role_usage: {},
    attachments: {},
    ...(r.termination === 'error' ? { error: { message: r.error, traceback: '', traceback_ansi: '' } } : {}),
    ...(r.termination === 'truncated' ? { limit: { type: 'custom', limit: r.horizon } } : {}),
  };
}

const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function headerOf(manifest: Manifest, groups: readonly Group[], analysis: AnalysisDocument, version: string | undefined): { header: Obj; reductions: Obj[] } {
  const started = Date.parse(String(manifest.timing?.startedAt ?? '')) || 0;
  const finished = Date.parse(String(manifest.timing?.finishedAt ?? '')) || started;
  const created = isoTime(started);
  const agents = manifest.agents.map((a) => a.name);
  const all = groups.flatMap((g) => g.rollouts);
  const ok = all.filter((r) => r.termination !== 'error');
  const successRate = mean(ok.map((r) => (r.outcome?.success ? 1 : 0)));
  const stats = new Map(analysis.groups.map((g) => [groupId(g.agent, g.horizon, g.instance), g]));
  const header: Obj = {
    version: INSPECT_LOG_VERSION,
    status: STATUS[manifest.status],
    eval: {
      eval_id: idOf('eval', manifest.name, created, manifest.scenarioHash ?? ''),
      run_id: idOf('run', manifest.name, created),
      created,
      task: manifest.name,
      task_id: idOf('task', manifest.name, manifest.scenarioHash ?? ''),
      task_version: 0,
      task_attribs: {},
      task_args: { environment: manifest.environment.name, ...(manifest.environment.params !== undefined ? { params: manifest.environment.params as Json } : {}) },
      task_args_passed: {},
      dataset: { name: manifest.environment.name, samples: groups.length, sample_ids: groups.map((g) => g.id), shuffled: false },
      model: `hotmess/${agents.join('+')}`,
      model_generate_config: {},
      model_args: {},
      config: { epochs: Math.max(0, ...groups.map((g) => g.rollouts.length)) },
      packages: { hotmess: version ?? manifest.version ?? 'unknown' },
      metadata: {
        [LOSSLESS_KEY]: {
          schema: LOSSLESS_SCHEMA,
          manifest: manifest as unknown as Json,
          scenario: (manifest.scenario ?? null) as Json,
          seed: (manifest.seed ?? null) as Json,
          seeds: (manifest.seeds ?? null) as Json,
          groups: groups.map((g) => {
            const s = stats.get(g.id);
            return {
              sample_id: g.id,
              rollouts: g.rollouts.length,
              incoherence: s?.outcome.incoherence ?? null,
              biasSq: s?.outcome.biasSq ?? null,
              variance: s?.outcome.variance ?? null,
              error: s?.outcome.error ?? null,
            };
          }),
        },
      },
    },
    plan: {
      name: 'plan',
      steps: manifest.agents.map((a) => ({ solver: `hotmess/${a.kind}`, params: { name: a.name, ...(a.params !== undefined ? { params: a.params as Json } : {}) }, params_passed: {} })),
      config: {},
    },
    results: {
      total_samples: all.length,
      completed_samples: ok.length,
      scores: [
        { name: 'success', scorer: 'success', params: {}, metrics: successRate === null ? {} : { accuracy: { name: 'accuracy', value: successRate, params: {} } } },
        { name: 'outcome', scorer: 'outcome', params: {}, metrics: {} },
      ],
    },
    stats: { started_at: created, completed_at: isoTime(finished), model_usage: {}, role_usage: {}, connection_limit_history: [] },
    invalidated: false,
    tags: [],
    metadata: {},
  };
  const reductions: Obj[] = [
    {
      scorer: 'success',
      reducer: 'mean',
      samples: groups.flatMap((g) => {
        const m = mean(g.rollouts.filter((r) => r.termination !== 'error').map((r) => (r.outcome?.success ? 1 : 0)));
        return m === null ? [] : [{ sample_id: g.id, value: m, history: [] }];
      }),
    },
  ];
  return { header, reductions };
}

/** Where the log goes: the file named, or Inspect's `<created>_<task>_<id>.eval` in a directory. */
function target(out: string, header: Obj): { file: string; format: 'eval' | 'json' } {
  const ext = extname(out).toLowerCase();
  if (ext === '.eval' || ext === '.json') return { file: resolve(out), format: ext === '.eval' ? 'eval' : 'json' };
  if (existsSync(out) && !statSync(out).isDirectory()) throw new HotmessError('usage', `--out ${out}: expected a .eval or .json file, or a directory`);
  const ev = header.eval as Obj;
  const task = String(ev.task).replace(/[^A-Za-z0-9_.-]+/g, '-');
  return { file: resolve(out, `${String(ev.created).replace(/:/g, '-')}_${task}_${String(ev.eval_id)}.eval`), format: 'eval' };
}

function environmentFor(manifest: Manifest, resolveEnvironment: ExportOptions['resolveEnvironment']): { env: AnyEnvironment; params: unknown } | null {
  const env = resolveEnvironment?.(manifest.environment.name);
  if (!env) return null;
  const params = env.params.safeParse((manifest.scenario as { params?: unknown } | undefined)?.params ?? {});
  return params.success ? { env, params: params.data } : null;
}

export async function exportInspect(run: string, opts: ExportOptions): Promise<ExportSummary> {
  const { manifest, groups, rollouts } = await readRun(run);
  if (groups.length === 0) throw new HotmessError('input', `${join(run, FILES.rollouts)}: no rollouts to export`);
  const analysis = await analyzeRun(run, { resamples: 1 });
  const { header, reductions } = headerOf(manifest, groups, analysis, opts.version);
  const { file, format } = target(opts.out, header);
  const env = environmentFor(manifest, opts.resolveEnvironment);
  const stepsFile = join(run, FILES.steps);
  const known = new Set(rollouts.keys());

  let counts = { steps: 0, observed: 0, rollouts: 0 };
  const sample = (id: string, list: StepRecord[]): Obj => {
    const { group, record } = rollouts.get(id)!;
    const texts = observationTexts(record, list, env);
    counts.steps += list.length;
    counts.observed += texts.filter((t) => t !== null).length;
    counts.rollouts++;
    return sampleOf(group, record, list, texts);
  };
  // One rollout in memory at a time; all of them only when the file interleaves rollouts.
  const streamed = async function* (): AsyncGenerator<Obj> {
    for await (const [id, list] of streamRolloutSteps(stepsFile, known)) yield sample(id, list);
  };
  const held = async function* (): AsyncGenerator<Obj> {
    const all = await allSteps(stepsFile, known);
    for (const g of groups) for (const r of g.rollouts) yield sample(r.rollout, all.get(r.rollout) ?? []);
  };

  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.writing-${process.pid}`);
  try {
    for (const samples of [streamed, held]) {
      counts = { steps: 0, observed: 0, rollouts: 0 };
      const handle = await open(tmp, 'w');
      try {
        if (format === 'json') await writeJson(handle, header, samples(), reductions);
        else await writeEval(handle, header, samples(), reductions);
        await handle.close();
        break;
      } catch (e) {
        await handle.close().catch(() => undefined);
        if (!(e instanceof NotContiguous)) throw e;
      }
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new HotmessError('input', `cannot write ${file}: ${code}${code === 'ENOSPC' ? ' (disk full); nothing was written' : ''}`);
    throw e;
  }
  return { file, format, samples: groups.length, epochs: Math.max(...groups.map((g) => g.rollouts.length)), rollouts: counts.rollouts, steps: counts.steps, observations: counts.observed };
}

/** One EvalLog document, written member by member and sample by sample. */
async function writeJson(handle: Awaited<ReturnType<typeof open>>, header: Obj, samples: AsyncIterable<Obj>, reductions: Obj[]): Promise<void> {
  const members = Object.entries(header);
  let text = '{';
  members.forEach(([k, v], i) => (text += `${i === 0 ? '' : ','}\n  ${JSON.stringify(k)}: ${JSON.stringify(v)}`));
  await handle.write(text + ',\n  "samples": [');
  let first = true;
  for await (const s of samples) {
    await handle.write(`${first ? '\n    ' : ',\n    '}${JSON.stringify(s)}`);
    first = false;
  }
  await handle.write(`\n  ],\n  "reductions": ${JSON.stringify(reductions)}\n}\n`);
}

/** The .eval layout Inspect writes: journal start, samples, summaries, reductions, header. */
async function writeEval(handle: Awaited<ReturnType<typeof open>>, header: Obj, samples: AsyncIterable<Obj>, reductions: Obj[]): Promise<void> {
  // Zip times cannot precede 1980; a run without timing stamps 1980-01-01.
  const created = Date.parse(String((header.eval as Obj).created));
  const zip = new ZipWriter(handle, new Date(Math.max(created, Date.UTC(1980, 0, 1, 12))));
  await zip.add('_journal/start.json', JSON.stringify({ version: header.version, eval: header.eval, plan: header.plan }));
  const summaries: Obj[] = [];
  for await (const s of samples) {
    await zip.add(`samples/${String(s.id)}_epoch_${String(s.epoch)}.json`, JSON.stringify(s));
    const messages = s.messages as Obj[];
    summaries.push({
      id: s.id,
      epoch: s.epoch,
      input: s.input,
      target: s.target,
      ...(s.scores ? { scores: s.scores } : {}),
      metadata: {},
      model_usage: {},
      ...(s.error ? { error: (s.error as Obj).message } : {}),
      ...(s.limit ? { limit: (s.limit as Obj).type } : {}),
      completed: true,
      message_count: messages.length,
    });
  }
  const summaryText = JSON.stringify(summaries);
  await zip.add('_journal/summaries/1.json', summaryText);
  await zip.add('summaries.json', summaryText);
  await zip.add('reductions.json', JSON.stringify(reductions));
  await zip.add('header.json', JSON.stringify(header));
  await zip.end();
}
