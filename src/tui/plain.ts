/**
 * `replay --plain`: the replay as text, for pipes, logs and terminals
 * without a TTY. Without a group: the overview and, per group, where its
 * rollouts first split. With a group: its lanes aligned by step (one row
 * per step, one column per rollout) with the first divergence marked, then
 * one line per step of the selected rollout.
 */
import { fmt, renderColumns } from '../analysis/index.js';
import { canonicalJson, HotmessError } from '../core/index.js';
import { allErrored, cellAt, cellMarks, errored, failed, stepAxis, visibleLanes } from './model/cells.js';
import { actionLegend, cut, sparkline } from './model/format.js';
import type { GroupData, Lane } from './model/group-data.js';
import { loadAnalysis, overviewRows } from './model/overview.js';
import type { ReplayModel } from './model/replay-model.js';
import { actionText } from './model/patches.js';
import { callInfo } from './model/step-info.js';

export interface PlainOptions {
  /** `AGENT:HORIZON:INSTANCE`; without it, the overview and one line per group. */
  readonly group?: string;
  /** Rollout index within the group for the per-step lines (default: the first lane shown). */
  readonly rollout?: number;
  readonly failedOnly?: boolean;
  readonly divergentOnly?: boolean;
}

/** `first divergence at t=<k>`, `no divergence`, or, when no rollout ran to an end, `all rollouts errored`. */
export const divergenceLine = (g: GroupData): string => divergenceText(allErrored(g), g.divergence.first);

const divergenceText = (allErrored: boolean, first: number | null): string =>
  allErrored ? 'all rollouts errored' : first === null ? 'no divergence' : `first divergence at t=${first}`;

export async function renderPlain(model: ReplayModel, opts: PlainOptions, write: (text: string) => void): Promise<void> {
  const m = model.manifest;
  write(`run ${m.name} · ${m.environment.name} · ${model.index.rollouts.length} rollouts in ${model.groups.length} groups · ${model.index.stepLines} steps\n`);
  if (opts.group === undefined) return renderRun(model, write);
  const ref = model.groups.find((g) => g.key === opts.group);
  if (!ref) throw new HotmessError('usage', `--group ${opts.group}: no such group in ${model.dir} (groups are AGENT:HORIZON:INSTANCE, e.g. ${model.groups[0]?.key ?? 'none'})`);
  const group = await model.group(ref.key);
  renderLanes(group, opts, write);
  write(`${divergenceLine(group)}\n\n`);
  const lanes = visibleLanes(group, opts.failedOnly === true);
  const laneIdx = opts.rollout === undefined ? lanes[0] : group.lanes.findIndex((l) => l.rollout.index === opts.rollout);
  if (laneIdx === undefined || laneIdx < 0) {
    write(opts.rollout === undefined ? 'no rollout to show\n' : `no rollout with index ${opts.rollout} in ${ref.key}\n`);
    return;
  }
  await renderRollout(model, group, laneIdx, write);
}

async function renderRun(model: ReplayModel, write: (text: string) => void): Promise<void> {
  const analysis = await loadAnalysis(model.dir, { cache: model.usesCache });
  const doc = analysis.status === 'ready' ? analysis.doc : null;
  if (analysis.note) write(`note: ${analysis.note}\n`);
  const rows = overviewRows(model.cells, doc).map((r) => [
    r.agent,
    String(r.horizon),
    `${r.groups}×${Math.round(r.rollouts / Math.max(1, r.groups))}`,
    String(r.failed),
    String(r.errored),
    fmt(r.incoherence),
    fmt(r.biasSq),
    fmt(r.variance),
    sparkline(r.survival, 24) || '—',
  ]);
  write(renderColumns(['agent', 'H', 'groups×N', 'failed', 'errored', 'incoherence', 'bias²', 'variance', 'survival S(t)'], rows) + '\n\n');
  // From the index: the summary reads no step line.
  for (const ref of model.groups) {
    const n = ref.members.length;
    const err = ref.members.filter((m) => m.termination === 'error').length;
    const first = await model.firstDivergence(ref.key);
    write(`${ref.key}  ${n} rollouts${err > 0 && err < n ? ` (${err} errored, not compared)` : ''}  ${divergenceText(n > 0 && err === n, first)}\n`);
  }
  write(`\n(--group AGENT:HORIZON:INSTANCE shows one group's lanes)\n`);
}

const endWord = (l: Lane): string => (l.rollout.success === true ? 'ok' : errored(l) ? 'error' : 'fail');

function renderLanes(group: GroupData, opts: PlainOptions, write: (text: string) => void): void {
  const { ref } = group;
  const lanes = visibleLanes(group, opts.failedOnly === true);
  const axis = stepAxis(group, opts.divergentOnly === true);
  write(`group ${ref.key} · ${ref.members.length} rollouts · horizon ${ref.horizon} · ${group.T} steps${opts.failedOnly ? ' · failed or errored rollouts only' : ''}${opts.divergentOnly ? ' · divergence steps only' : ''}\n`);
  write('legend: * not the oracle · ~ not the modal action · ! refused · "·" ended · ▶ first divergence · | later divergence\n');
  const legend = actionLegend(group.keys);
  if (legend.length > 0) write(`actions shown as ${legend.join(', ')}\n`);
  const width = lanes.map((i) => {
    const l = group.lanes[i];
    let w = Math.max(`r${l.rollout.index}`.length, endWord(l).length);
    for (let k = 0; k < axis.count; k++) {
      const c = cellAt(group, l, axis.at(k));
      w = Math.max(w, Math.min(12, c.label.length) + cellMarks(c).length);
      if (w >= 15) break;
    }
    return w;
  });
  const tWidth = Math.max(3, String(group.T).length);
  const head = lanes.map((i, j) => `r${group.lanes[i].rollout.index}`.padEnd(width[j])).join('  ');
  write(`  ${'t'.padStart(tWidth)}  ${head}`.trimEnd() + '\n');
  const ends = lanes.map((i, j) => endWord(group.lanes[i]).padEnd(width[j])).join('  ');
  const divSet = new Set(group.divergence.steps);
  for (let k = 0; k < axis.count; k++) {
    const t = axis.at(k);
    const mark = t === group.divergence.first ? '▶' : divSet.has(t) ? '|' : ' ';
    const cells = lanes.map((i, j) => {
      const c = cellAt(group, group.lanes[i], t);
      const marks = cellMarks(c);
      return (cut(c.label, width[j] - marks.length) + marks).padEnd(width[j]);
    });
    write(`${mark} ${String(t).padStart(tWidth)}  ${cells.join('  ')}`.trimEnd() + '\n');
  }
  write(`  ${'end'.padStart(tWidth)}  ${ends}`.trimEnd() + '\n');
  if (lanes.length < group.lanes.length) write(`(${group.lanes.length - lanes.length} successful rollouts hidden)\n`);
}

async function renderRollout(model: ReplayModel, group: GroupData, laneIdx: number, write: (text: string) => void): Promise<void> {
  const lane = group.lanes[laneIdx];
  const r = lane.rollout;
  const success = r.success === null ? '—' : r.success ? 'yes' : 'no';
  write(`rollout ${r.id} · ${r.termination}${r.error ? ` (${r.error})` : ''} · success ${success} · return ${r.return ?? '—'} · ${lane.len} steps${failed(lane) ? ' · failed' : ''}\n`);
  let noted = false;
  for (let t = 1; t <= lane.len; t++) {
    const v = await model.stepView(group, lane, t);
    if (!v) continue;
    const rec = v.record;
    const parts = [`t=${t}`, `action ${actionText(rec.action, 40)}`];
    if (rec.oracle !== undefined) parts.push(`oracle ${actionText(rec.oracle, 40)}${canonicalJson(rec.oracle) === canonicalJson(rec.action) ? '' : ' ≠'}`);
    if (rec.reward !== undefined) parts.push(`reward ${rec.reward}`);
    if (rec.illegal) parts.push(`illegal: ${rec.illegal}`);
    if (rec.invalid) parts.push(`invalid: ${rec.invalid}`);
    if (v.changes.length > 0) parts.push(`Δ ${v.changes.join('; ')}`);
    const said = callInfo(rec).text;
    if (said !== null) parts.push(`text: ${cut(said.replace(/\s+/g, ' '), 60)}`);
    if (v.observation.text !== null) {
      const differs = 'hashMatches' in v.observation && v.observation.hashMatches === false ? ' (re-derived; differs from the logged hash)' : '';
      parts.push(`obs${differs}: ${cut(v.observation.text.replace(/\s+/g, ' '), 100)}`);
    }
    else if (!noted) {
      // Said once: why the observations are missing.
      write(`note: ${v.observation.note}\n`);
      noted = true;
    }
    write(parts.join('  ') + '\n');
  }
}
