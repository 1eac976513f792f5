/**
 * What `run --analyze` (and so `npm start`) does once rollouts are written:
 * analyse the run, print the table, write the report. The analysis and
 * report layers load lazily: a plain `run` never pays for them.
 */
import { relative } from 'node:path';
import type { Cli } from './io.js';
import { isOsError } from '../core/index.js';
import type { AnalysisDocument } from '../analysis/index.js';

/** A path as the user would type it: relative when under the current directory. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/**
 * Write RUN/analysis.json, or, when the run directory cannot take it (read
 * only, full), say so in one warning line and return null: the analysis
 * itself is complete and is printed all the same.
 */
export function saveAnalysis(cli: Cli, dir: string, doc: AnalysisDocument, write: (dir: string, doc: AnalysisDocument) => string): string | null {
  try {
    return write(dir, doc);
  } catch (e) {
    if (!isOsError(e)) throw e;
    cli.warn(`analysis not saved: ${e.message}`);
    return null;
  }
}

export interface AfterRun {
  /** Where the analysis and the report were written; null when the run directory could not take them. */
  readonly analysis: string | null;
  readonly report: string | null;
}

/**
 * Analyse, write analysis.json and the report. Prints the table unless
 * `json` (then the caller folds the returned paths into its one JSON document).
 * The rollouts are on disk by now, so a directory that cannot take the
 * analysis or the report (full, read only) costs one warning each, not the
 * run's exit code: the table is printed all the same.
 */
export async function afterRun(cli: Cli, dir: string, opts: { json: boolean }): Promise<AfterRun> {
  const { analyzeRun, renderAnalysisTable, writeAnalysis } = await import('../analysis/index.js');
  const { writeReport } = await import('../report/index.js');
  const doc = await analyzeRun(dir, { onWarning: cli.warn });
  const analysisPath = saveAnalysis(cli, dir, doc, writeAnalysis);
  let reportPath: string | null = null;
  if (analysisPath) {
    try {
      const report = await writeReport(dir);
      for (const w of report.warnings) cli.warn(w);
      reportPath = report.reportPath;
    } catch (e) {
      if (!isOsError(e)) throw e;
      cli.warn(`report not written: ${e.message}`);
    }
  } else cli.warn('report not written: it needs the saved analysis');
  if (!opts.json) {
    const where = [analysisPath ? `analysis: ${displayPath(analysisPath)}` : null, reportPath ? `report:   ${displayPath(reportPath)}` : null].filter((l) => l !== null);
    cli.out(`\n${renderAnalysisTable(doc, { width: cli.width })}\n${where.length ? `\n${where.join('\n')}\n` : ''}`);
  }
  return { analysis: analysisPath, report: reportPath };
}
