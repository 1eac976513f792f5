/**
 * What `run --analyze` (and so `npm start`) does once rollouts are written:
 * analyse the run, print the table, write the report. The analysis and
 * report layers load lazily: a plain `run` never pays for them.
 */
import { relative } from 'node:path';

/** A path as the user would type it: relative when under the current directory. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

export async function afterRun(dir: string, opts: { json: boolean }): Promise<void> {
  const { analyzeRun, renderAnalysisTable, writeAnalysis } = await import('../analysis/index.js');
  const { writeReport } = await import('../report/index.js');
  const doc = await analyzeRun(dir, { onWarning: (w) => process.stderr.write(`hotmess: warning: ${w}\n`) });
  const analysisPath = writeAnalysis(dir, doc);
  const report = await writeReport(dir);
  for (const w of report.warnings) process.stderr.write(`hotmess: warning: ${w}\n`);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ analysis: analysisPath, report: report.reportPath }) + '\n');
    return;
  }
  process.stdout.write(`\n${renderAnalysisTable(doc)}\n\nanalysis: ${analysisPath}\nreport:   ${displayPath(report.reportPath)}\n`);
}
