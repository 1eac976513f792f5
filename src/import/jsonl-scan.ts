/**
 * The validating first pass of the generic JSONL import: checks every line
 * and the rules that span lines (steps in order, one outcome per rollout,
 * one outcome kind, consistent feature sizes) and counts what the writing
 * pass needs. Keeps one small entry per rollout, nothing per step.
 */
import { HotmessError, type OutcomeKind } from '../core/index.js';
import { checkAgentName } from './build.js';
import { readImportLines } from './jsonl-read.js';
import type { OutcomeLine, StepLine } from './jsonl-schema.js';

export interface RolloutScan {
  readonly agent: string;
  readonly group: number | string;
  readonly index: number;
  /** Line of the rollout's first record, for messages. */
  readonly firstLine: number;
  length: number;
  outcome?: OutcomeLine & { line: number };
}

export interface Scan {
  run?: { name?: string; environment?: string; horizon?: number; measureKind?: OutcomeKind; notes?: string[] };
  /** Keyed by agent, group and index; in order of first appearance. */
  readonly rollouts: Map<string, RolloutScan>;
  readonly groups: Set<string>;
  /** Rollouts per (agent, group). */
  readonly perGroup: Map<string, number>;
  maxLength: number;
  longestLine: number;
  outcomeKind: OutcomeKind | null;
  measureSteps: number;
  firstMeasureLine: number;
  featureSteps: number;
  steps: number;
}

const dims = (v: number | number[]): number => (Array.isArray(v) ? v.length : 1);

export async function scanJsonl(file: string, defaultAgent: string): Promise<Scan> {
  const scan: Scan = {
    rollouts: new Map(),
    groups: new Set(),
    perGroup: new Map(),
    maxLength: 0,
    longestLine: 0,
    outcomeKind: null,
    measureSteps: 0,
    firstMeasureLine: 0,
    featureSteps: 0,
    steps: 0,
  };
  const groupTypes = new Map<string, string>();
  // The default agent (from --agent or the file name) is checked only if some line relies on it.
  let fallback: string | undefined;
  const fallbackAgent = (where: string): string =>
    (fallback ??= checkAgentName(defaultAgent, `${where}: no "agent" field, and the default agent from --agent or the file name`));
  let kindLine = 0;
  let featureDim = -1;
  let first = true;

  const rolloutOf = (rec: StepLine | OutcomeLine, line: number): RolloutScan => {
    const where = `${file}:${line}`;
    const agent = rec.agent !== undefined ? checkAgentName(rec.agent, `${where}: field "agent"`, 'input') : fallbackAgent(where);
    const g = String(rec.group);
    const t = groupTypes.get(g);
    if (t !== undefined && t !== typeof rec.group) throw new HotmessError('input', `${where}: field "group": ${JSON.stringify(rec.group)} is used both as a number and as a string`);
    groupTypes.set(g, typeof rec.group);
    const key = `${agent}\u0000${g}\u0000${rec.rollout}`;
    let r = scan.rollouts.get(key);
    if (r === undefined) {
      r = { agent, group: rec.group, index: rec.rollout, firstLine: line, length: 0 };
      scan.rollouts.set(key, r);
      scan.groups.add(g);
      const gk = `${agent}\u0000${g}`;
      scan.perGroup.set(gk, (scan.perGroup.get(gk) ?? 0) + 1);
    }
    return r;
  };

  for await (const { line, record } of readImportLines(file)) {
    const where = `${file}:${line}`;
    const isFirst = first;
    first = false;
    if (record.type === 'run') {
      if (!isFirst) throw new HotmessError('input', `${where}: a run record may only be the first line`);
      scan.run = record;
      continue;
    }
    const r = rolloutOf(record, line);
    if (record.type === 'step') {
      if (record.t !== r.length + 1) {
        throw new HotmessError('input', `${where}: field "t": expected ${r.length + 1} (a rollout's steps come in order from t = 1), got ${record.t}`);
      }
      r.length = record.t;
      scan.steps++;
      if (r.length > scan.maxLength) {
        scan.maxLength = r.length;
        scan.longestLine = r.firstLine;
      }
      if ((record.measure === undefined) !== (record.target === undefined)) {
        throw new HotmessError('input', `${where}: missing field "${record.measure === undefined ? 'measure' : 'target'}" (measure and target come together)`);
      }
      if (record.measure !== undefined && record.target !== undefined) {
        if (dims(record.measure) !== dims(record.target)) throw new HotmessError('input', `${where}: fields "measure" and "target" differ in length`);
        if (scan.measureSteps++ === 0) scan.firstMeasureLine = line;
      }
      if (record.features !== undefined) {
        if (featureDim === -1) featureDim = record.features.length;
        else if (record.features.length !== featureDim) throw new HotmessError('input', `${where}: field "features": expected ${featureDim} numbers like the earlier steps, got ${record.features.length}`);
        scan.featureSteps++;
      }
      continue;
    }
    if (r.outcome !== undefined) throw new HotmessError('input', `${where}: a second outcome for this rollout (the first is on line ${r.outcome.line})`);
    if (record.termination === 'error') {
      if (record.error === undefined) throw new HotmessError('input', `${where}: missing field "error" (required when termination is "error")`);
    } else if (record.outcome == null) {
      throw new HotmessError('input', `${where}: missing field "outcome" (only a rollout with termination "error" may omit it)`);
    }
    if (record.outcome != null) {
      if (dims(record.outcome.value) !== dims(record.outcome.target)) throw new HotmessError('input', `${where}: fields "outcome.value" and "outcome.target" differ in length`);
      if (scan.outcomeKind === null) {
        scan.outcomeKind = record.outcome.kind;
        kindLine = line;
      } else if (record.outcome.kind !== scan.outcomeKind) {
        throw new HotmessError('input', `${where}: field "outcome.kind": expected "${scan.outcomeKind}" like line ${kindLine}, got "${record.outcome.kind}"`);
      }
    }
    r.outcome = { ...record, line };
  }

  if (scan.rollouts.size === 0) throw new HotmessError('input', `${file}: no step or outcome records`);
  for (const r of scan.rollouts.values()) {
    if (r.outcome === undefined) throw new HotmessError('input', `${file}:${r.firstLine}: rollout ${r.index} of group ${JSON.stringify(r.group)} has no outcome record`);
  }
  if (scan.measureSteps > 0 && scan.measureSteps !== scan.steps) {
    throw new HotmessError('input', `${file}: ${scan.measureSteps} of ${scan.steps} steps carry "measure"; give it on every step or on none`);
  }
  if (scan.featureSteps > 0 && scan.featureSteps !== scan.steps) {
    throw new HotmessError('input', `${file}: ${scan.featureSteps} of ${scan.steps} steps carry "features"; give them on every step or on none`);
  }
  return scan;
}
