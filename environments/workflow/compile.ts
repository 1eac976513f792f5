/**
 * Compile an xstate v5 machine (plus its input) into a transition table an
 * environment can step in O(1): every reachable configuration (state value +
 * context), the events it accepts, where each leads, and the shortest
 * distance to a final configuration. The machine stays the single source of
 * truth: the table is produced by xstate's own pure `transition()`; the hot
 * path only looks it up.
 *
 * Generic: nothing here knows about the runbook. Pure; no I/O.
 */
import { getStateNodes, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { HotmessError } from '../../src/core/index.js';

export interface CompiledChart {
  /** Number of reachable configurations; configuration 0 is the initial one. */
  readonly size: number;
  /** Snapshot of each configuration (for rendering observations). */
  readonly snapshots: readonly AnyMachineSnapshot[];
  /** Event types accepted in each configuration, in machine declaration order. */
  readonly events: readonly (readonly string[])[];
  /** next[c][k]: the configuration reached by events[c][k]. */
  readonly next: readonly Int32Array[];
  /** Shortest number of events from c to a final configuration; -1 when none is reachable. */
  readonly dist: Int32Array;
  /** Index into events[c] of the first event on a shortest path; -1 at final or dead-end configurations. */
  readonly best: Int32Array;
  /** 1 when the machine is done (a top-level final state) in configuration c. */
  readonly final: Uint8Array;
}

/**
 * The key that identifies a configuration: its state value and its context.
 * Context fields still identical (===) to the initial context's are written
 * as `#`, so a large constant field (the instance flags) is not serialised
 * for every configuration.
 */
export function configurationKey(s: AnyMachineSnapshot, initialContext: Record<string, unknown>): string {
  const ctx = s.context as Record<string, unknown>;
  let key = JSON.stringify(s.value);
  for (const field of Object.keys(ctx)) key += '|' + field + '=' + (ctx[field] === initialContext[field] ? '#' : JSON.stringify(ctx[field]));
  return key;
}

/**
 * Events that the configuration accepts: the event types with transitions on
 * its active state nodes whose guards let at least one transition through.
 * xstate's internal events (done.state, after, ...) are excluded.
 */
export function acceptedEvents(machine: AnyStateMachine, s: AnyMachineSnapshot): string[] {
  return candidateEvents(machine, s).filter((type) => s.can({ type }));
}

/** Event types with transitions on the active state nodes, in declaration order (guards not evaluated). */
function candidateEvents(machine: AnyStateMachine, s: AnyMachineSnapshot): string[] {
  const out: string[] = [];
  for (const node of getStateNodes(machine.root, s.value)) {
    for (const type of node.ownEvents) {
      if (!type.startsWith('xstate.') && type !== '*' && !out.includes(type)) out.push(type);
    }
  }
  return out;
}

/**
 * Breadth-first enumeration of the reachable configurations, then a reverse
 * breadth-first search from the final ones for shortest distances. Throws
 * when more than `maxConfigurations` are reachable (an unbounded context).
 */
export function compileChart(machine: AnyStateMachine, input: unknown, maxConfigurations = 200_000): CompiledChart {
  const [initial] = initialTransition(machine, input);
  const initialContext = initial.context as Record<string, unknown>;
  const index = new Map<string, number>([[configurationKey(initial, initialContext), 0]]);
  const snapshots: AnyMachineSnapshot[] = [initial];
  const events: string[][] = [];
  const nextLists: number[][] = [];
  for (let c = 0; c < snapshots.length; c++) {
    const s = snapshots[c];
    const accepted = s.status === 'done' ? [] : acceptedEvents(machine, s);
    const targets: number[] = [];
    for (const type of accepted) {
      const [n] = transition(machine, s, { type });
      const key = configurationKey(n, initialContext);
      let k = index.get(key);
      if (k === undefined) {
        if (snapshots.length >= maxConfigurations) {
          throw new HotmessError('scenario', `statechart ${machine.id}: more than ${maxConfigurations} reachable configurations (is a context field unbounded?)`);
        }
        k = snapshots.length;
        index.set(key, k);
        snapshots.push(n);
      }
      targets.push(k);
    }
    events.push(accepted);
    nextLists.push(targets);
  }
  const size = snapshots.length;
  const final = new Uint8Array(size);
  for (let c = 0; c < size; c++) if (snapshots[c].status === 'done') final[c] = 1;
  const next = nextLists.map((l) => Int32Array.from(l));
  const { dist, best } = shortestToFinal(next, final);
  return { size, snapshots, events, next, dist, best, final };
}

/** Reverse BFS from the final configurations; ties go to the first event in declaration order. */
function shortestToFinal(next: readonly Int32Array[], final: Uint8Array): { dist: Int32Array; best: Int32Array } {
  const size = next.length;
  const preds: number[][] = Array.from({ length: size }, () => []);
  for (let c = 0; c < size; c++) for (const n of next[c]) preds[n].push(c);
  const dist = new Int32Array(size).fill(-1);
  const queue: number[] = [];
  for (let c = 0; c < size; c++) {
    if (final[c]) {
      dist[c] = 0;
      queue.push(c);
    }
  }
  for (let h = 0; h < queue.length; h++) {
    const c = queue[h];
    for (const p of preds[c]) {
      if (dist[p] < 0) {
        dist[p] = dist[c] + 1;
        queue.push(p);
      }
    }
  }
  const best = new Int32Array(size).fill(-1);
  for (let c = 0; c < size; c++) {
    if (final[c] || dist[c] < 0) continue;
    const n = next[c];
    for (let k = 0; k < n.length; k++) {
      if (dist[n[k]] === dist[c] - 1) {
        best[c] = k;
        break;
      }
    }
  }
  return { dist, best };
}
