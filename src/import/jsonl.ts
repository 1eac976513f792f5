/**
 * `hotmess import jsonl`: the generic format of docs/import.md becomes a run
 * directory. The file is streamed twice: the first pass validates every
 * line and counts each rollout's steps (rollout ids contain the horizon,
 * known only at the end); the second writes steps.jsonl. Memory is
 * proportional to the number of rollouts, never to the number of steps.
 */
import { basename, resolve } from 'node:path';
import { hashValue, HotmessError, type Json, type OutcomeKind } from '../core/index.js';
import { FILES, rolloutId, type LoggedOutcome, type RolloutRecord } from '../log/index.js';
import { buildManifest, checkAgentName, countTerminations, rolloutLine, stepLine, type ImportSummary } from './build.js';
import { readImportLines } from './jsonl-read.js';
import { scanJsonl, type Scan } from './jsonl-scan.js';
import { withRunDir } from './run-dir.js';

export interface JsonlOptions {
  readonly out: string;
  /** Agent for lines without an `agent` field; defaults to the file name without extension. */
  readonly agent?: string;
  /** Overrides the run line's horizon; defaults to the longest rollout. */
  readonly horizon?: number;
  readonly force?: boolean;
  readonly version?: string;
}

const asVector = (v: number | number[]): number[] => (Array.isArray(v) ? v : [v]);
const argmax = (v: readonly number[]): number => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

/**
 * Success when a line gives none, by the analysis's own rule: for a
 * distribution (brier, kl) the most likely class is the gold one; otherwise
 * the value equals the target exactly.
 */
function defaultSuccess(o: { kind: OutcomeKind; value: number | number[]; target: number | number[] }): boolean {
  const value = asVector(o.value);
  const target = asVector(o.target);
  if (o.kind === 'brier' || o.kind === 'kl') return argmax(value) === argmax(target);
  return value.every((x, i) => x === target[i]);
}

/** Read, validate and write. Throws a one-line HotmessError naming `file:line` on bad input. */
export async function importJsonl(file: string, opts: JsonlOptions): Promise<ImportSummary> {
  const stem = basename(file).replace(/\.jsonl?$/i, '');
  const defaultAgent = opts.agent ?? stem;
  if (opts.agent !== undefined) checkAgentName(opts.agent, '--agent');
  const scan = await scanJsonl(file, defaultAgent);
  const horizon = opts.horizon ?? scan.run?.horizon ?? scan.maxLength;
  if (horizon < scan.maxLength) {
    const source = opts.horizon !== undefined ? '--horizon' : 'the run line\'s "horizon"';
    throw new HotmessError('usage', `${source} ${horizon} is shorter than the rollout starting at ${file}:${scan.longestLine}, which has ${scan.maxLength} steps`);
  }
  const measureKind = measureKindOf(scan, file);

  return withRunDir(opts.out, opts.force ?? false, async (dir) => {
    const steps = await dir.lines(FILES.steps);
    // The first pass validated every line; this one trusts the shapes and checks only that the file is unchanged.
    for await (const { line, record } of readImportLines(file, false)) {
      if (record.type !== 'step') continue;
      if (steps.count >= scan.steps) throw new HotmessError('input', `${file}:${line}: the file changed during the import`);
      const agent = record.agent ?? defaultAgent;
      await steps.write(
        stepLine({
          rollout: rolloutId(agent, horizon, record.group, record.rollout),
          t: record.t,
          action: record.action,
          text: record.text,
          observation: record.observation,
          state: record.state !== undefined ? hashValue(record.state) : undefined,
          oracle: record.oracle,
          reward: record.reward,
          measure: record.measure,
          target: record.target,
          features: record.features,
          info: record.info as { [k: string]: Json } | undefined,
        }),
      );
    }

    if (steps.count !== scan.steps) throw new HotmessError('input', `${file}: the file changed during the import`);
    const rollouts: RolloutRecord[] = [];
    for (const r of scan.rollouts.values()) {
      const o = r.outcome!; // the scan guarantees one per rollout
      const base = { rollout: rolloutId(r.agent, horizon, r.group, r.index), agent: r.agent, horizon, instance: r.group, index: r.index, length: r.length };
      const outcome: LoggedOutcome | undefined = o.outcome
        ? { ...o.outcome, success: o.success ?? defaultSuccess(o.outcome) }
        : undefined;
      const info = o.info !== undefined ? { info: o.info } : {};
      if (o.termination === 'error') rollouts.push({ ...base, termination: 'error', error: o.error ?? '', outcome: outcome ?? null, ...info });
      else rollouts.push({ ...base, termination: o.termination ?? 'terminated', outcome: outcome!, ...info });
    }
    const rolloutFile = await dir.lines(FILES.rollouts);
    for (const r of rollouts) await rolloutFile.write(rolloutLine(r));

    const agents = [...new Set(rollouts.map((r) => r.agent))];
    const terminations = countTerminations(rollouts);
    const name = scan.run?.name ?? stem;
    const environment = scan.run?.environment ?? 'imported';
    const perGroup = new Set(scan.perGroup.values());
    await dir.commit(
      buildManifest({
        name,
        source: resolve(file),
        version: opts.version,
        environment,
        outcomeKind: scan.outcomeKind ?? undefined,
        measureKind,
        hasFeatures: scan.featureSteps > 0,
        agents: agents.map((a) => ({ name: a, params: { format: 'jsonl', file: basename(file) } })),
        horizon,
        instances: scan.groups.size,
        perGroup: perGroup.size === 1 ? [...perGroup][0] : undefined,
        total: rollouts.length,
        notes: [
          ...(scan.run?.notes ?? []),
          `Imported from ${basename(file)} (hotmess generic JSONL); nothing was re-run and there are no seeds.`,
          `Horizon ${horizon} = ${opts.horizon !== undefined ? 'given by --horizon' : scan.run?.horizon !== undefined ? 'given by the run line' : 'the longest rollout'}.`,
        ],
      }),
    );
    return { out: dir.out, name, environment, agents, horizon, groups: scan.groups.size, rollouts: rollouts.length, steps: steps.count, terminations };
  });
}

/** Null when no step carries a measure; else the run line's measureKind, else the outcome kind. */
function measureKindOf(scan: Scan, file: string): OutcomeKind | null {
  if (scan.measureSteps === 0) return null;
  const kind = scan.run?.measureKind ?? scan.outcomeKind;
  if (kind === null) throw new HotmessError('input', `${file}:${scan.firstMeasureLine}: steps carry "measure" but no kind is known: add "measureKind" to the run line`);
  return kind;
}
