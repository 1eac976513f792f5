/**
 * The terminal UI layer: `replay` (interactive and plain) and `play`.
 * A view layer over a small model that reads run directories by index.
 * ink and react load only when an interactive screen starts.
 */
export { ReplayModel, type ReplayOptions, type StepView, type ObservationView } from './model/replay-model.js';
export { openIndex, INDEX_FILE, type RunIndex, type IndexedRollout } from './model/run-index.js';
export { groupRollouts, type GroupRef, type Cell } from './model/groups.js';
export { loadGroup, type GroupData, type Lane } from './model/group-data.js';
export { analyseLanes, firstDivergence, nextDivergence, type Divergence } from './model/lanes.js';
export { describePatches } from './model/patches.js';
export { sparkline, actionLabel } from './model/format.js';
export { loadAnalysis, overviewRows, OVERVIEW_FILE, type OverviewDoc, type OverviewRow, type AnalysisState } from './model/overview.js';
export { renderPlain, divergenceLine, type PlainOptions } from './plain.js';
export type { ReplayAppOptions } from './view/run-app.js';
export type { PlayOptions } from './play/play.js';

/** Start the interactive replay (needs a TTY on stdout); resolves when the user quits. */
export async function runReplayApp(model: import('./model/replay-model.js').ReplayModel, opts: import('./view/run-app.js').ReplayAppOptions = {}): Promise<void> {
  const { runReplayApp: run } = await import('./view/run-app.js');
  return run(model, opts);
}

/** Play an environment as the agent in the terminal; writes a normal run directory. */
export async function play(opts: import('./play/play.js').PlayOptions): Promise<import('../workflows/index.js').PlayResult> {
  const { play: run } = await import('./play/play.js');
  return run(opts);
}
