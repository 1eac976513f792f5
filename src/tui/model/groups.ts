/**
 * Groups (agent × horizon × instance) and cells (agent × horizon) of an
 * indexed run, in the analysis's order: agents as the manifest lists them
 * (others after, by name), then horizon, then instance. Pure.
 */
import { groupId } from '../../log/index.js';
import type { IndexedRollout } from './run-index.js';

export interface GroupRef {
  readonly key: string;
  readonly agent: string;
  readonly horizon: number;
  readonly instance: number | string;
  /** Sorted by rollout index: a member's position is its lane. */
  readonly members: readonly IndexedRollout[];
}

export interface Cell {
  readonly agent: string;
  readonly horizon: number;
  readonly groups: readonly GroupRef[];
}

function compareInstance(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function groupRollouts(rollouts: readonly IndexedRollout[], agentOrder: readonly string[]): { groups: GroupRef[]; cells: Cell[] } {
  const byKey = new Map<string, { ref: GroupRef; members: IndexedRollout[] }>();
  for (const r of rollouts) {
    const key = groupId(r.agent, r.horizon, r.instance);
    let g = byKey.get(key);
    if (!g) {
      const members: IndexedRollout[] = [];
      g = { ref: { key, agent: r.agent, horizon: r.horizon, instance: r.instance, members }, members };
      byKey.set(key, g);
    }
    g.members.push(r);
  }
  const order = [...agentOrder];
  const extra = [...new Set(rollouts.map((r) => r.agent))].filter((a) => !order.includes(a)).sort();
  order.push(...extra);
  const groups = [...byKey.values()].map((g) => {
    g.members.sort((a, b) => a.index - b.index || (a.id < b.id ? -1 : 1));
    return g.ref;
  });
  groups.sort((a, b) => order.indexOf(a.agent) - order.indexOf(b.agent) || a.horizon - b.horizon || compareInstance(a.instance, b.instance));
  const cells: Cell[] = [];
  for (const g of groups) {
    const last = cells[cells.length - 1];
    if (last && last.agent === g.agent && last.horizon === g.horizon) (last.groups as GroupRef[]).push(g);
    else cells.push({ agent: g.agent, horizon: g.horizon, groups: [g] });
  }
  return { groups, cells };
}

/** Parse `AGENT:HORIZON:INSTANCE` and find the group; null when absent. */
export function findGroup(groups: readonly GroupRef[], spec: string): GroupRef | null {
  return groups.find((g) => g.key === spec) ?? null;
}
