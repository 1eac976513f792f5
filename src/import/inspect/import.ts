/**
 * `hotmess import inspect FILE|DIR`: Inspect eval logs become a run
 * directory. One task × model is one agent, one sample id one instance, one
 * epoch one rollout; each assistant turn is a step. The outcome comes from
 * one scorer (the first, or `--scorer`). A log written by `hotmess export
 * inspect` is restored from the records it carries (see lossless.ts).
 *
 * Two passes over the input, as the JSONL import: the first validates
 * everything and learns the horizon (part of every rollout id), the second
 * writes. Nothing is written unless the first pass found no problem.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { HotmessError, zodIssue, type Json } from '../../core/index.js';
import { FILES, rolloutId, type LoggedOutcome, type RolloutRecord } from '../../log/index.js';
import { buildManifest, checkAgentName, countTerminations, rolloutLine, stepLine, type ImportSummary } from '../build.js';
import { cannotRead, preview } from '../issues.js';
import { withRunDir } from '../run-dir.js';
import { EvalMetaSchema, LOSSLESS_KEY, SampleMetaSchema, losslessEval } from './lossless.js';
import { formatOf, NotAnInspectLog, readInspectLog } from './read.js';
import type { Header, Sample } from './schema.js';
import { outcomeOf } from './score.js';
import { inspectTurns } from './turns.js';

export interface InspectOptions {
  readonly out: string;
  /** The agent name, when the logs hold one task × model. */
  readonly agent?: string;
  /** The scorer whose score is the outcome; default: each log's first scorer. */
  readonly scorer?: string;
  readonly horizon?: number;
  readonly force?: boolean;
  readonly version?: string;
}

export interface InspectSummary extends ImportSummary {
  readonly files: number;
  /** True when the log was a hotmess export, restored from its records. */
  readonly lossless: boolean;
  /** Files of a directory that were not Inspect logs, with why. */
  readonly skipped: readonly string[];
}

/** What the first pass keeps per sample: no messages, no steps. */
interface SampleScan {
  readonly file: number;
  readonly id: number | string;
  readonly epoch: number;
  readonly where: string;
  readonly length: number;
  readonly scores: Readonly<Record<string, unknown>> | null;
  readonly error?: string;
  readonly limit?: string;
}

interface FileScan {
  readonly path: string;
  readonly header: Header;
  readonly samples: SampleScan[];
}

/** Agent names become part of rollout ids: colons and spaces become dashes. */
const cleanName = (s: string): string => s.replace(/[:\s]+/g, '-');

/** A sample id as an instance: non-negative integers stay numbers; colons (rollout-id separators) become "_". */
const instanceOf = (id: number | string): number | string => (typeof id === 'number' && id >= 0 ? id : String(id).replace(/:/g, '_'));

/** Sample ids in order: numbers numerically, then strings. */
const compareIds = (a: number | string, b: number | string): number =>
  typeof a === 'number' && typeof b === 'number' ? a - b : typeof a === 'number' ? -1 : typeof b === 'number' ? 1 : a < b ? -1 : a > b ? 1 : 0;

const attachmentsOf = (s: Sample): Record<string, string> => ({ ...(s.transcript?.content ?? {}), ...(s.attachments ?? {}) });

/** The scores of a sample, v1's single `score` under the header's scorer name. */
function scoresOf(s: Pick<Sample, 'scores' | 'score'>, header: Header): Record<string, unknown> | null {
  if (s.scores) return Object.fromEntries(Object.entries(s.scores).map(([k, v]) => [k, v.value]));
  if (s.score) return { [header.results?.scorer?.name ?? header.results?.scores?.[0]?.name ?? 'score']: s.score.value };
  return null;
}

const limitOf = (s: Sample): string | undefined => (s.limit == null ? undefined : typeof s.limit === 'string' ? s.limit : s.limit.type);

async function listLogs(path: string): Promise<{ paths: string[]; isDir: boolean }> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new HotmessError('input', cannotRead(path, e));
  }
  if (!st.isDirectory()) return { paths: [path], isDir: false };
  const names = (await readdir(path)).filter((n) => formatOf(n) !== null && !n.startsWith('.')).sort();
  if (names.length === 0) throw new HotmessError('input', `${path}: no Inspect logs (.eval or .json) in this directory`);
  return { paths: names.map((n) => join(path, n)), isDir: true };
}

async function scanFile(path: string, index: number): Promise<FileScan> {
  const samples: SampleScan[] = [];
  const seen = new Map<string, string>();
  // Scores need the header (v1 names its scorer there), which a .eval holds last: keep just the scores.
  const scored: Array<Pick<Sample, 'scores' | 'score'>> = [];
  const header = await readInspectLog(path, ({ sample, where }) => {
    const key = `${String(sample.id)}\u0000${sample.epoch}`;
    const before = seen.get(key);
    if (before !== undefined) throw new HotmessError('input', `${where}: sample ${preview(sample.id)} epoch ${sample.epoch} appears twice (also ${before})`);
    seen.set(key, where);
    const turns = inspectTurns(sample, attachmentsOf(sample), (p) => `${where}: ${p}`);
    samples.push({
      file: index,
      id: sample.id,
      epoch: sample.epoch,
      where,
      length: turns.steps.length,
      scores: null,
      ...(sample.error ? { error: sample.error.message } : {}),
      ...(limitOf(sample) !== undefined ? { limit: limitOf(sample) } : {}),
    });
    scored.push({ scores: sample.scores, score: sample.score });
  });
  return { path, header, samples: samples.map((s, i) => ({ ...s, scores: scoresOf(scored[i], header) })) };
}

/** The scorer each file's outcome comes from. */
function pickScorers(files: readonly FileScan[], wanted: string | undefined): string[] {
  const all = new Set<string>();
  for (const f of files) for (const s of f.samples) for (const k of Object.keys(s.scores ?? {})) all.add(k);
  if (wanted !== undefined && !all.has(wanted)) {
    throw new HotmessError('usage', `--scorer ${wanted}: no sample has that score (scorers in the logs: ${[...all].join(', ') || 'none'})`);
  }
  return files.map((f) => {
    if (wanted !== undefined) return wanted;
    const named = f.header.results?.scores?.[0]?.name ?? f.header.results?.scorer?.name;
    if (named !== undefined) return named;
    for (const s of f.samples) {
      const first = Object.keys(s.scores ?? {})[0];
      if (first !== undefined) return first;
    }
    return '';
  });
}

export async function importInspect(input: string, opts: InspectOptions): Promise<InspectSummary> {
  const { paths, isDir } = await listLogs(input);
  const files: FileScan[] = [];
  const skipped: string[] = [];
  for (const p of paths) {
    try {
      files.push(await scanFile(p, files.length));
    } catch (e) {
      // In a directory, a JSON file that is no EvalLog at all (a schema, a config) is not a log to import.
      if (!(isDir && e instanceof NotAnInspectLog)) throw e;
      skipped.push(e.message);
    }
  }
  if (files.length === 0) throw new HotmessError('input', `${input}: no Inspect logs (.eval or .json) in this directory`);

  if (files.length === 1 && losslessEval(files[0].header.eval.metadata) !== null) return restoreExport(files[0], opts);

  // Agents: one per task × model.
  const tasks = new Set(files.map((f) => f.header.eval.task));
  const agentKeys = [...new Set(files.map((f) => `${f.header.eval.task}\u0000${f.header.eval.model}`))];
  if (opts.agent !== undefined && agentKeys.length > 1) throw new HotmessError('usage', `--agent names one agent, but the logs hold ${agentKeys.length} task × model pairs`);
  const agentName = (f: FileScan): string => {
    if (opts.agent !== undefined) return checkAgentName(opts.agent, '--agent');
    const { task, model } = f.header.eval;
    return checkAgentName(cleanName(tasks.size === 1 ? model : `${task}@${model}`), `${f.path}: the agent name from task and model`, 'input');
  };
  const agents = files.map(agentName);
  const scorers = pickScorers(files, opts.scorer);

  // Instances and rollout indices: epochs in file order, then epoch order.
  const instances = new Map<string, number | string>();
  const indexOf = new Map<SampleScan, number>();
  const perGroup = new Map<string, number>();
  const ordered = files.flatMap((f) => [...f.samples].sort((a, b) => compareIds(a.id, b.id) || a.epoch - b.epoch));
  for (const s of ordered) {
    const agent = agents[s.file];
    const inst = instanceOf(s.id);
    const ik = `${agent}\u0000${String(inst)}`;
    const other = instances.get(ik);
    if (other !== undefined && String(other) !== String(s.id)) throw new HotmessError('input', `${s.where}: sample id ${preview(s.id)} and ${preview(other)} map to the same instance "${inst}"`);
    instances.set(ik, s.id);
    const n = perGroup.get(ik) ?? 0;
    indexOf.set(s, n);
    perGroup.set(ik, n + 1);
  }
  if (ordered.length === 0) throw new HotmessError('input', `${input}: the log${files.length > 1 ? 's hold' : ' holds'} no samples`);

  const longest = ordered.reduce((a, s) => (s.length > a.length ? s : a));
  const horizon = opts.horizon ?? Math.max(1, longest.length);
  if (horizon < longest.length) throw new HotmessError('usage', `--horizon ${horizon} is shorter than ${longest.where}, which has ${longest.length} assistant turns`);

  const rollouts: RolloutRecord[] = [];
  return withRunDir(opts.out, opts.force ?? false, async (dir) => {
    const steps = await dir.lines(FILES.steps);
    const position = new Map(ordered.map((s, i) => [s, i]));
    for (const [fi, f] of files.entries()) {
      const byKey = new Map(f.samples.map((s) => [`${String(s.id)}\u0000${s.epoch}`, s]));
      const agent = agents[fi];
      const scorer = scorers[fi];
      const pending: Array<{ scan: SampleScan; record: RolloutRecord }> = [];
      await readInspectLog(f.path, async ({ sample }) => {
        const scan = byKey.get(`${String(sample.id)}\u0000${sample.epoch}`)!;
        const turns = inspectTurns(sample, attachmentsOf(sample), (p) => `${scan.where}: ${p}`);
        const id = rolloutId(agent, horizon, instanceOf(sample.id), indexOf.get(scan)!);
        for (const [i, s] of turns.steps.entries()) {
          await steps.write(stepLine({ rollout: id, t: i + 1, action: s.action, text: s.text, observation: s.observation, info: s.model ? { model: s.model } : {} }));
        }
        pending.push({ scan, record: rolloutRecord(f, scan, sample, id, agent, horizon, indexOf.get(scan)!, scorer, turns) });
      });
      rollouts.push(...pending.sort((a, b) => position.get(a.scan)! - position.get(b.scan)!).map((p) => p.record));
    }
    const rolloutFile = await dir.lines(FILES.rollouts);
    for (const r of rollouts) await rolloutFile.write(rolloutLine(r));

    const counts = new Set(perGroup.values());
    const terminations = countTerminations(rollouts);
    const names = [...new Set(agents)];
    const environment = tasks.size === 1 ? `inspect/${cleanName([...tasks][0])}` : 'inspect';
    const stem = basename(input).replace(/\.(eval|json)$/i, '');
    const manifest = buildManifest({
      name: cleanName(stem),
      source: resolve(input),
      version: opts.version,
      environment,
      outcomeKind: 'coverage',
      measureKind: null,
      hasFeatures: false,
      agents: names.map((name) => {
        const f = files[agents.indexOf(name)];
        return { name, params: { format: 'inspect', task: f.header.eval.task, model: f.header.eval.model, scorer: scorers[agents.indexOf(name)] } };
      }),
      horizon,
      instances: new Set([...instances.keys()].map((k) => k.split('\u0000')[1])).size,
      perGroup: counts.size === 1 ? [...counts][0] : undefined,
      total: rollouts.length,
      notes: [
        `Imported from Inspect log${files.length > 1 ? 's' : ''} ${files.map((f) => basename(f.path)).join(', ')}: one agent per task × model, one group per sample id, one rollout per epoch; nothing was re-run and there are no seeds.`,
        `A step is one assistant turn. Its action is the tool call {tool, args} ({tools: [...]} for several), or {respond: <hash of the text>} for a plain message, whose text is the step's text field. The observation is the user and tool messages since the previous assistant turn (system prompts are left out; their hash is each rollout's info.system).`,
        `Outcome: the ${[...new Set(scorers)].map((s) => `"${s}"`).join(', ')} score by Inspect's value_to_float (C = 1, P = 0.5, I = N = 0, numbers as they are), as coverage against [1]; success means 1. A sample that ended on a limit is truncated; one with an error, or without that score, is an error rollout, left out of the metrics.`,
        `Horizon ${horizon} = ${opts.horizon !== undefined ? 'given by --horizon' : 'the longest conversation'}, in assistant turns.`,
      ],
    });
    await dir.commit(manifest);
    return {
      out: dir.out,
      name: manifest.name,
      environment,
      agents: names,
      horizon,
      groups: perGroup.size,
      rollouts: rollouts.length,
      steps: steps.count,
      terminations,
      files: files.length,
      lossless: false,
      skipped,
    };
  });
}

function rolloutRecord(
  f: FileScan,
  scan: SampleScan,
  sample: Sample,
  id: string,
  agent: string,
  horizon: number,
  index: number,
  scorer: string,
  turns: ReturnType<typeof inspectTurns>,
): RolloutRecord {
  const value = scan.scores?.[scorer];
  const outcome: LoggedOutcome | null = value === undefined ? null : outcomeOf(value);
  const stopReason = sample.output?.choices?.[0]?.stop_reason;
  const info: { [k: string]: Json } = {
    model: f.header.eval.model,
    sampleId: sample.id,
    epoch: sample.epoch,
    file: basename(f.path),
    ...(stopReason !== undefined ? { stopReason } : {}),
    ...(sample.model_usage && Object.keys(sample.model_usage).length > 0 ? { usage: sample.model_usage as Json } : {}),
    ...(value !== undefined ? { score: { scorer, value: value as Json } } : {}),
    ...(scan.limit !== undefined ? { limit: (sample.limit ?? null) as Json } : {}),
    ...(sample.error ? { error: { message: sample.error.message, ...(typeof sample.error.traceback === 'string' ? { traceback: sample.error.traceback } : {}) } } : {}),
    ...(turns.system !== undefined ? { system: turns.system } : {}),
    ...(turns.finalObservation !== '' ? { finalObservation: turns.finalObservation } : {}),
    ...(turns.source === 'message-pool' ? { messagesFrom: 'message-pool' } : {}),
  };
  const base = { rollout: id, agent, horizon, instance: instanceOf(sample.id), index, length: turns.steps.length, info };
  if (scan.error !== undefined) return { ...base, termination: 'error', error: scan.error, ...(outcome ? { outcome } : {}) };
  if (outcome === null) return { ...base, termination: 'error', error: value === undefined ? `unscored: no "${scorer}" score` : `unscored: "${scorer}" is NaN` };
  const reward = outcome.value as number[];
  return { ...base, termination: scan.limit !== undefined ? 'truncated' : 'terminated', outcome, return: reward.reduce((a, b) => a + b, 0) / reward.length };
}

/** A hotmess export: write back the records it carries. */
async function restoreExport(f: FileScan, opts: InspectOptions): Promise<InspectSummary> {
  for (const [flag, v] of [['--agent', opts.agent], ['--scorer', opts.scorer], ['--horizon', opts.horizon]] as const) {
    if (v !== undefined) throw new HotmessError('usage', `${flag} does not apply to ${f.path}: it is a hotmess export, restored exactly as it was exported`);
  }
  const meta = EvalMetaSchema.safeParse(losslessEval(f.header.eval.metadata));
  if (!meta.success) throw new HotmessError('input', `${f.path}: eval.metadata.${LOSSLESS_KEY}: not a valid hotmess export block (${zodIssue(meta.error, { root: '' })})`);
  const manifest = meta.data.manifest;
  const rollouts: RolloutRecord[] = [];
  return withRunDir(opts.out, opts.force ?? false, async (dir) => {
    const steps = await dir.lines(FILES.steps);
    await readInspectLog(f.path, async ({ sample, where }) => {
      const parsed = SampleMetaSchema.safeParse(sample.metadata?.[LOSSLESS_KEY]);
      if (!parsed.success) throw new HotmessError('input', `${where}: metadata.${LOSSLESS_KEY}: ${zodIssue(parsed.error, { root: 'block' })} (a hotmess export must carry its records)`);
      const { rollout } = parsed.data.rollout;
      for (const [i, s] of parsed.data.steps.entries()) {
        if (s.rollout !== rollout) throw new HotmessError('input', `${where}: metadata.${LOSSLESS_KEY}.steps[${i}]: belongs to rollout ${s.rollout}, not ${rollout}`);
        await steps.write(JSON.stringify(s));
      }
      rollouts.push(parsed.data.rollout);
    });
    const rolloutFile = await dir.lines(FILES.rollouts);
    for (const r of rollouts) await rolloutFile.write(rolloutLine(r));
    await dir.commit({
      ...manifest,
      status: 'finished',
      source: resolve(f.path),
      notes: [...(manifest.notes ?? []), `Restored from the hotmess export ${basename(f.path)} (Inspect log): rollout and step records as they were exported.`],
    });
    const horizons = [...new Set(rollouts.map((r) => r.horizon))];
    return {
      out: dir.out,
      name: manifest.name,
      environment: manifest.environment.name,
      agents: manifest.agents.map((a) => a.name),
      horizon: Math.max(...horizons),
      groups: new Set(rollouts.map((r) => `${r.agent}:${r.horizon}:${r.instance}`)).size,
      rollouts: rollouts.length,
      steps: steps.count,
      terminations: countTerminations(rollouts),
      files: 1,
      lossless: true,
      skipped: [],
    };
  });
}
