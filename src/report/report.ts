/**
 * `hotmess report RUN`: analysis.json (analysed first when missing or out
 * of date) → charts
 * → RUN/plots/<id>.svg + .png → RUN/report.md (or `out`). Effects live here;
 * chart building and the markdown are pure.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { errorLine, withOsErrors, writeFileAtomic } from '../core/index.js';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { analyzeRun, staleAnalysis, writeAnalysis, type AnalyzeOptions } from '../analysis/index.js';
import { FILES } from '../log/index.js';
import { buildCharts, type StepScale } from './charts/index.js';
import { checkRunDir, readAnalysis, readManifestOrNull } from './load.js';
import { reportMarkdown, type PlotLink } from './markdown.js';
import { fontWarning, renderSvg, svgToPng } from './render.js';

export const PLOTS_DIR = 'plots';

export interface ReportOptions {
  /** Where to write the markdown; default RUN/report.md. Plots always go to RUN/plots/. */
  readonly out?: string;
  /** Options for the analysis run when RUN/analysis.json is missing or out of date (it is then written). */
  readonly analysis?: AnalyzeOptions;
  /** Called with the reason, before the run is analysed again, when analysis.json is out of date. */
  readonly onReanalyze?: (reason: string) => void;
  /** PNG scale relative to the SVG size; default 2. */
  readonly pngScale?: number;
  /** Step axes: log when the horizons span more than a factor of 32 (auto, the default), or forced. */
  readonly stepScale?: StepScale;
}

export interface ReportResult {
  readonly reportPath: string;
  /** Absolute paths of the written plots, in report order. */
  readonly plots: { id: string; svg: string; png: string | null }[];
  readonly skipped: { id: string; title: string; reason: string }[];
  readonly warnings: string[];
  /** Whether the analysis was run (and analysis.json written): it was missing, or out of date. */
  readonly analyzed: boolean;
  /** Why an existing analysis.json was out of date and replaced; null when it was used as is (or was missing). */
  readonly reanalyzed: string | null;
}

const posix = (p: string) => p.split(sep).join('/');

/** Every byte or a one-line OsError naming the file (a read-only run directory, a full disk). */
const writeAtomic = (file: string, data: string | Buffer): void => writeFileAtomic(file, data);

/**
 * Write the report and its plots. Reads RUN/analysis.json, or analyses the
 * run (and writes analysis.json) when it is missing or out of date: older
 * than rollouts.jsonl or steps.jsonl, or counting other rollouts than
 * rollouts.jsonl holds. Deterministic: the same
 * analysis gives byte-identical SVG and markdown.
 */
export async function writeReport(runDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  checkRunDir(runDir);
  const warnings: string[] = [];
  const analysisFile = join(runDir, FILES.analysis);
  const missing = !existsSync(analysisFile);
  let doc = missing ? null : readAnalysis(runDir);
  // An analysis older than the logs (e.g. a resumed run) describes a run that no longer exists.
  const reanalyzed = doc ? staleAnalysis(runDir, doc) : null;
  if (reanalyzed) opts.onReanalyze?.(reanalyzed);
  if (!doc || reanalyzed) {
    doc = await analyzeRun(runDir, opts.analysis);
    writeAnalysis(runDir, doc);
  }
  const manifest = readManifestOrNull(runDir, warnings);

  const reportPath = resolve(opts.out ?? join(runDir, FILES.report));
  const plotsDir = resolve(runDir, PLOTS_DIR);
  withOsErrors(plotsDir, 'create the plots directory', () => mkdirSync(plotsDir, { recursive: true }));
  withOsErrors(dirname(reportPath), 'create the report directory', () => mkdirSync(dirname(reportPath), { recursive: true }));
  const fonts = fontWarning();
  if (fonts) warnings.push(fonts);

  const { charts, skipped } = buildCharts(doc, { stepScale: opts.stepScale });
  const plots: ReportResult['plots'] = [];
  const links: PlotLink[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec, (w) => warnings.push(`${chart.id}: ${w}`));
    const svgPath = join(plotsDir, `${chart.id}.svg`);
    writeAtomic(svgPath, svg);
    let pngPath: string | null = join(plotsDir, `${chart.id}.png`);
    try {
      writeAtomic(pngPath, svgToPng(svg, opts.pngScale ?? 2));
    } catch (e) {
      // The SVG is the primary artefact; a rasteriser failure costs only the PNG.
      warnings.push(`${chart.id}.png not written: ${errorLine(e)}`);
      rmSync(pngPath, { force: true });
      pngPath = null;
    }
    plots.push({ id: chart.id, svg: svgPath, png: pngPath });
    const rel = (p: string) => posix(relative(dirname(reportPath), p));
    links.push({ chart, svg: rel(svgPath), png: pngPath ? rel(pngPath) : null });
  }
  // A plot skipped now must not leave a stale file from an earlier report.
  for (const s of skipped) for (const ext of ['svg', 'png']) rmSync(join(plotsDir, `${s.id}.${ext}`), { force: true });

  writeAtomic(reportPath, reportMarkdown({ runDir, doc, manifest, plots: links, skipped, warnings }));
  return { reportPath, plots, skipped, warnings, analyzed: missing || reanalyzed !== null, reanalyzed };
}
