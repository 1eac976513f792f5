/**
 * Reads rollouts.jsonl into a compact index: groups (agent, horizon,
 * instance) with their members' outcomes and lengths. One line per
 * rollout, so this file is small next to steps.jsonl; each line is
 * validated with zod. Rollouts ending `error` are counted, never used.
 */
import { join } from 'node:path';
import { HotmessError, canonicalJson, type OutcomeKind } from '../core/index.js';
import { FILES, forEachRollout, groupId } from '../log/index.js';
import { argmax } from '../metrics/index.js';

export interface Member {
  readonly id: string;
  readonly index: number;
  /** The length the rollout line records. */
  readonly length: number;
  readonly kind: OutcomeKind;
  readonly value: number[];
  readonly target: number[];
  readonly success: boolean;
  /** The answer compared by the 0-1 decomposition. */
  readonly answer: string;
  readonly targetAnswer: string;
}

export interface GroupInfo {
  readonly key: string;
  readonly agent: string;
  readonly horizon: number;
  readonly instance: number | string;
  /** Non-error rollouts, sorted by index. */
  members: Member[];
  errored: number;
}

export interface RolloutIndex {
  readonly groups: Map<string, GroupInfo>;
  /** Rollout id → its group and position in `members` (after sorting). */
  readonly slots: Map<string, { group: GroupInfo; slot: number }>;
  /** Ids of rollouts that ended in error: their step lines are ignored. */
  readonly errored: Set<string>;
  readonly warnings: string[];
  tornLines: number;
}

const asVector = (v: number | number[]): number[] => (Array.isArray(v) ? v : [v]);

function answerOf(kind: OutcomeKind, v: number[]): string {
  return kind === 'brier' || kind === 'kl' ? String(argmax(v)) : canonicalJson(v);
}

export async function readRollouts(dir: string): Promise<RolloutIndex> {
  const file = join(dir, FILES.rollouts);
  const index: RolloutIndex = { groups: new Map(), slots: new Map(), errored: new Set(), warnings: [], tornLines: 0 };
  const byId = new Map<string, { group: GroupInfo; member: Member }>();
  await forEachRollout(
    file,
    (r, line) => {
      const key = groupId(r.agent, r.horizon, r.instance);
      let group = index.groups.get(key);
      if (!group) {
        group = { key, agent: r.agent, horizon: r.horizon, instance: r.instance, members: [], errored: 0 };
        index.groups.set(key, group);
      }
      const previous = byId.get(r.rollout);
      if (previous) {
        // A rollout re-run after an error: the later line is the one that counts.
        previous.group.members = previous.group.members.filter((m) => m !== previous.member);
        byId.delete(r.rollout);
        index.warnings.push(`${file}:${line}: rollout ${r.rollout} appears twice; the later line is used`);
      }
      if (r.termination === 'error') {
        group.errored++;
        index.errored.add(r.rollout);
        return;
      }
      index.errored.delete(r.rollout);
      const value = asVector(r.outcome.value);
      const target = asVector(r.outcome.target);
      if (value.length !== target.length || value.length === 0) {
        throw new HotmessError('log', `${file}:${line}: outcome value has ${value.length} entries, target ${target.length}`);
      }
      const kind = r.outcome.kind;
      const answer = answerOf(kind, value);
      const targetAnswer = answerOf(kind, target);
      const member: Member = { id: r.rollout, index: r.index, length: r.length, kind, value, target, success: r.outcome.success ?? answer === targetAnswer, answer, targetAnswer };
      const first = group.members[0];
      if (first && (first.kind !== kind || first.value.length !== value.length)) {
        throw new HotmessError('log', `${file}:${line}: outcome ${kind}[${value.length}] differs from ${first.kind}[${first.value.length}] of rollout ${first.id} in the same group`);
      }
      group.members.push(member);
      byId.set(r.rollout, { group, member });
    },
    {
      onTorn: (line) => {
        index.tornLines++;
        index.warnings.push(`${file}:${line}: torn last line (crashed run?) skipped`);
      },
    },
  );
  for (const group of index.groups.values()) {
    group.members.sort((a, b) => a.index - b.index || (a.id < b.id ? -1 : 1));
    group.members.forEach((m, slot) => index.slots.set(m.id, { group, slot }));
  }
  return index;
}
