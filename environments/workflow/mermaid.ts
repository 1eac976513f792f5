/**
 * Render an xstate v5 machine as a Mermaid `stateDiagram-v2`, by walking its
 * state nodes and transitions (never a hand-written string, so the chart
 * cannot drift from the machine). Compound states become nested blocks;
 * each transition is written in the block of the lowest common ancestor of
 * its source and target; guarded branches are labelled `EVENT [guard]`, and
 * the unguarded fallback after them `EVENT [else]`.
 *
 * Generic: nothing here knows about the runbook. Pure; no I/O.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** Mermaid-safe id of a state node: its path joined by `__` (the root is the machine id). */
export function mermaidId(node: AnyStateNode): string {
  return node.path.length === 0 ? safe(node.machine.id) : node.path.map(safe).join('__');
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

interface Edge {
  readonly from: AnyStateNode;
  readonly to: AnyStateNode;
  readonly label: string;
}

export function machineToMermaid(machine: AnyStateMachine): string {
  const edges = new Map<AnyStateNode, Edge[]>();
  collectEdges(machine.root, edges);
  const lines = ['stateDiagram-v2'];
  renderChildren(machine.root, edges, lines, '  ');
  return lines.join('\n') + '\n';
}

/** The label of a transition: event type (done events as `done`), with its guard. */
function label(eventType: string, guard: unknown, guardedBefore: boolean): string {
  const ev = eventType.startsWith('xstate.done.state.') ? 'done' : eventType === '' ? 'always' : eventType;
  if (guard === undefined) return guardedBefore ? `${ev} [else]` : ev;
  return `${ev} [${guardName(guard)}]`;
}

function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (guard && typeof guard === 'object' && 'type' in guard) {
    const g = guard as { type: string; params?: unknown };
    const params = g.params && typeof g.params === 'object' ? Object.values(g.params as object).join(' ') : '';
    return params ? `${g.type} ${params}` : g.type;
  }
  return 'guard';
}

/** Group every transition under the lowest common ancestor of its endpoints. */
function collectEdges(node: AnyStateNode, edges: Map<AnyStateNode, Edge[]>): void {
  const defs = [...node.transitions.values(), ...(node.always ? [node.always] : [])];
  for (const list of defs) {
    let guardedBefore = false;
    for (const t of list) {
      for (const to of t.target ?? []) {
        const scope = commonAncestor(node, to);
        const l = edges.get(scope) ?? [];
        l.push({ from: node, to, label: label(t.eventType, t.guard, guardedBefore) });
        edges.set(scope, l);
      }
      if (t.guard !== undefined) guardedBefore = true;
    }
  }
  for (const child of Object.values(node.states) as AnyStateNode[]) collectEdges(child, edges);
}

function commonAncestor(a: AnyStateNode, b: AnyStateNode): AnyStateNode {
  const seen = new Set<AnyStateNode>();
  for (let n: AnyStateNode | undefined = a.parent; n; n = n.parent) seen.add(n);
  for (let n: AnyStateNode | undefined = b.parent; n; n = n.parent) if (seen.has(n)) return n;
  return a.machine.root;
}

function renderChildren(node: AnyStateNode, edges: Map<AnyStateNode, Edge[]>, lines: string[], indent: string): void {
  const children = Object.values(node.states) as AnyStateNode[];
  const initial = node.initial?.target?.[0];
  if (initial) lines.push(`${indent}[*] --> ${mermaidId(initial)}`);
  for (const child of children) {
    const id = mermaidId(child);
    if (child.type === 'compound' || child.type === 'parallel') {
      lines.push(`${indent}state ${id} {`);
      renderChildren(child, edges, lines, indent + '  ');
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}${id}`);
    }
    if (child.description) lines.push(`${indent}${id} : ${child.description.replace(/[\n;]/g, ' ')}`);
    if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
  }
  for (const e of edges.get(node) ?? []) lines.push(`${indent}${mermaidId(e.from)} --> ${mermaidId(e.to)} : ${e.label}`);
}
