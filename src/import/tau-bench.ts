/**
 * `hotmess import tau-bench`: a τ-bench historical-trajectory file (one JSON
 * array of {task_id, trial, reward, traj}) becomes a normal run directory.
 * One group per task (instance = task_id), one rollout per trial (index =
 * trial), one step per assistant turn; the outcome is coverage with T = 1.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { HotmessError, type Json } from '../core/index.js';
import { FILES, rolloutId, type RolloutRecord } from '../log/index.js';
import { buildManifest, checkAgentName, countTerminations, rolloutLine, stepLine, type ImportSummary } from './build.js';
import { cannotRead, describeIssue, describeJsonError, preview } from './issues.js';
import { withRunDir } from './run-dir.js';
import { TauRecordSchema, type TauRecord } from './tau-bench-schema.js';
import { domainFromSystemPrompt, tauTurns, type TauTurns } from './tau-bench-turns.js';

export interface TauBenchOptions {
  /** The run directory to create. */
  readonly out: string;
  /** Defaults to the file name without its domain suffix (`gpt-4o-airline.json` → `gpt-4o`). */
  readonly agent?: string;
  /** Defaults to the domain named by the system prompt, else the file-name suffix. */
  readonly domain?: string;
  /** The harness's turn limit; defaults to the longest trajectory. */
  readonly horizon?: number;
  /** Replace a non-empty `out`. */
  readonly force?: boolean;
  /** hotmess version, recorded in the manifest. */
  readonly version?: string;
}

const KNOWN_DOMAINS = ['airline', 'retail'] as const;

interface Parsed {
  readonly index: number;
  readonly record: TauRecord;
  readonly turns: TauTurns;
}

const label = (file: string, i: number, raw: unknown): string => {
  const r = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const ids = ['task_id', 'trial'].filter((k) => typeof r[k] === 'number' || typeof r[k] === 'string').map((k) => `${k} ${preview(r[k])}`);
  return `${file}: record [${i}]${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`;
};

function parseRecords(data: unknown, file: string): Parsed[] {
  if (!Array.isArray(data)) throw new HotmessError('input', `${file}: expected a JSON array of τ-bench records, got ${data === null ? 'null' : typeof data}`);
  if (data.length === 0) throw new HotmessError('input', `${file}: the array holds no records`);
  const seen = new Map<string, number>();
  return data.map((raw: unknown, index) => {
    const parsed = TauRecordSchema.safeParse(raw);
    if (!parsed.success) throw new HotmessError('input', `${label(file, index, raw)}: ${describeIssue(parsed.error, raw)}`);
    const record = parsed.data;
    // Keyed as the rollout id spells it, so task 1 and task "1" collide here rather than in the log.
    const key = `${record.task_id}:${record.trial}`;
    const first = seen.get(key);
    if (first !== undefined) throw new HotmessError('input', `${label(file, index, raw)}: same task_id and trial as record [${first}]`);
    seen.set(key, index);
    const turns = tauTurns(record.traj, (path) => `${label(file, index, raw)}: field "${path}"`);
    return { index, record, turns };
  });
}

function pickDomain(parsed: readonly Parsed[], file: string, given?: string): string {
  const domain = given ?? domainFromSystemPrompt(parsed[0].record.traj) ?? KNOWN_DOMAINS.find((d) => basename(file).replace(/\.json$/i, '').endsWith(`-${d}`));
  if (domain === undefined) throw new HotmessError('usage', `${file}: cannot tell the τ-bench domain from the system prompt or file name; pass --domain`);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(domain)) throw new HotmessError('usage', `--domain ${JSON.stringify(domain)}: use letters, digits, - and _`);
  return domain.toLowerCase();
}

const compareIds = (a: number | string, b: number | string): number =>
  typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === 'number' ? -1 : 1;

const instructionOf = (info: unknown): string | undefined => {
  const task = info !== null && typeof info === 'object' ? (info as { task?: unknown }).task : undefined;
  const instr = task !== null && typeof task === 'object' ? (task as { instruction?: unknown }).instruction : undefined;
  return typeof instr === 'string' ? instr : undefined;
};

/** Read, validate and write. Throws a one-line HotmessError naming the record on bad input. */
export async function importTauBench(file: string, opts: TauBenchOptions): Promise<ImportSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HotmessError('input', cannotRead(file, e));
  }
  let data: unknown;
  try {
    // One JSON array, a few MB: parsing it whole is fine for this format.
    // A UTF-8 byte-order mark is not JSON; editors on some systems add one.
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new HotmessError('input', `${file}: not valid JSON: ${describeJsonError(e, text)}`);
  }
  const parsed = parseRecords(data, file);
  const domain = pickDomain(parsed, file, opts.domain);
  const stem = basename(file).replace(/\.json$/i, '');
  const fromName = stem.endsWith(`-${domain}`) && stem.length > domain.length + 1 ? stem.slice(0, -domain.length - 1) : stem;
  const agent = checkAgentName(opts.agent ?? fromName, opts.agent !== undefined ? '--agent' : `${file}: the agent name from the file name (pass --agent)`);

  const longest = parsed.reduce((a, p) => (p.turns.steps.length > a.turns.steps.length ? p : a));
  const maxLen = longest.turns.steps.length;
  const horizon = opts.horizon ?? maxLen;
  if (horizon < maxLen) {
    throw new HotmessError('usage', `--horizon ${horizon} is shorter than ${label(file, longest.index, longest.record)}, which has ${maxLen} assistant turns`);
  }
  parsed.sort((a, b) => compareIds(a.record.task_id, b.record.task_id) || a.record.trial - b.record.trial);

  const rollouts: RolloutRecord[] = [];
  const trialsPerTask = new Map<number | string, number>();
  return withRunDir(opts.out, opts.force ?? false, async (dir) => {
    const steps = await dir.lines(FILES.steps);
    for (const { record, turns } of parsed) {
      const id = rolloutId(agent, horizon, record.task_id, record.trial);
      for (const [i, s] of turns.steps.entries()) {
        const info: { [k: string]: Json } = s.extraToolCalls ? { extraToolCalls: s.extraToolCalls } : {};
        await steps.write(stepLine({ rollout: id, t: i + 1, action: s.action, text: s.text, observation: s.observation, info }));
      }
      const length = turns.steps.length;
      // A conversation that used every turn without a stop or a transfer was cut off by τ-bench's step limit.
      const truncated = turns.end === 'none' && length >= horizon;
      const instruction = instructionOf(record.info);
      rollouts.push({
        rollout: id,
        agent,
        horizon,
        instance: record.task_id,
        index: record.trial,
        termination: truncated ? 'truncated' : 'terminated',
        outcome: { kind: 'coverage', value: [record.reward], target: [1], success: record.reward === 1 },
        length,
        return: record.reward,
        info: {
          end: truncated ? 'max-steps' : turns.end === 'none' ? 'unknown' : turns.end,
          reward: record.reward,
          ...(turns.system !== undefined ? { system: turns.system } : {}),
          ...(instruction !== undefined ? { instruction } : {}),
          ...(turns.finalObservation !== '' ? { finalObservation: turns.finalObservation } : {}),
        },
      });
      trialsPerTask.set(record.task_id, (trialsPerTask.get(record.task_id) ?? 0) + 1);
    }
    const rolloutFile = await dir.lines(FILES.rollouts);
    for (const r of rollouts) await rolloutFile.write(rolloutLine(r));

    const counts = new Set(trialsPerTask.values());
    const terminations = countTerminations(rollouts);
    const environment = `tau-bench-${domain}`;
    const manifest = buildManifest({
      name: stem,
      source: resolve(file),
      version: opts.version,
      environment,
      outcomeKind: 'coverage',
      measureKind: null,
      hasFeatures: false,
      agents: [{ name: agent, params: { format: 'tau-bench', file: basename(file) } }],
      horizon,
      instances: trialsPerTask.size,
      perGroup: counts.size === 1 ? [...counts][0] : undefined,
      total: rollouts.length,
      notes: [
        `Imported from τ-bench historical trajectories (${basename(file)}): one group per task_id, one rollout per trial; nothing was re-run and there are no seeds.`,
        `A step is one assistant turn. A tool call is the action {tool, args}; a plain message is {respond: true}, its text in the step's text field. The observation is the user and tool messages since the previous assistant turn (the system prompt is left out; its hash is each rollout's info.system).`,
        `Horizon ${horizon} = ${opts.horizon !== undefined ? 'given by --horizon' : 'the longest trajectory'}, in assistant turns (τ-bench's default max_num_steps is 30). Outcome: coverage [reward] against [1]; success means reward 1.`,
        `Termination: terminated when the user stopped or the agent transferred to a human; truncated (info.end "max-steps") when all ${horizon} turns were used without either: ${terminations.truncated ?? 0} rollouts.`,
      ],
    });
    await dir.commit(manifest);
    return {
      out: dir.out,
      name: stem,
      environment,
      agents: [agent],
      horizon,
      groups: trialsPerTask.size,
      rollouts: rollouts.length,
      steps: steps.count,
      terminations,
    };
  });
}
