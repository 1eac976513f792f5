/**
 * Whether RUN/analysis.json still describes the run's logs. A resumed run
 * appends to rollouts.jsonl and steps.jsonl after an earlier analysis was
 * written; a report drawn from that analysis would silently describe the
 * run as it was. Reads the directory; writes nothing.
 * Shared by `report` and the replay overview.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisDocument } from './document.js';
import { FILES, forEachRolloutEnd } from '../log/index.js';

/**
 * How many rollouts the analyzer counts (`counts.rollouts + counts.errored`)
 * in this rollouts.jsonl: every line ending in error, plus each rollout
 * whose last line did not. A torn (unparsable) last line is skipped, as the
 * analyzer skips it; any other unparsable line is left for the analyzer to
 * report.
 */
export function countAnalysedRollouts(file: string): number {
  let errors = 0;
  const lastOk = new Map<string, boolean>();
  forEachRolloutEnd(file, (id, termination) => {
    const failed = termination === 'error';
    if (failed) errors++;
    lastOk.set(String(id), !failed);
  });
  let ok = 0;
  for (const v of lastOk.values()) if (v) ok++;
  return errors + ok;
}

/**
 * Why `doc` (read from RUN/analysis.json) is out of date, or null when it is
 * not: a log file modified after analysis.json, or a rollout count that
 * disagrees with rollouts.jsonl. Without logs (an analysis.json on its own)
 * there is nothing to compare, so it is taken as current.
 */
export function staleAnalysis(runDir: string, doc: { readonly counts: Pick<AnalysisDocument['counts'], 'rollouts' | 'errored'> }): string | null {
  const analysisFile = join(runDir, FILES.analysis);
  if (!existsSync(analysisFile)) return null;
  const analysed = statSync(analysisFile).mtimeMs;
  for (const f of [FILES.rollouts, FILES.steps]) {
    const p = join(runDir, f);
    if (existsSync(p) && statSync(p).mtimeMs > analysed) return `${f} changed after ${FILES.analysis} was written`;
  }
  const rolloutsFile = join(runDir, FILES.rollouts);
  if (!existsSync(rolloutsFile)) return null;
  const logged = countAnalysedRollouts(rolloutsFile);
  const counted = doc.counts.rollouts + doc.counts.errored;
  return logged === counted ? null : `${FILES.analysis} counts ${counted} rollouts but ${FILES.rollouts} holds ${logged}`;
}
