/**
 * `hotmess report RUN`: analysis.json (analysed first when missing) → charts
 * → RUN/plots/<id>.svg + .png → RUN/report.md (or `out`). Effects live here;
 * chart building and the markdown are pure.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { FILES } from '../log/index.js';
import { buildCharts } from './charts/index.js';
import type { AnalysisDocument } from '../analysis/index.js';
import { checkRunDir, readAnalysis, readManifest } from './load.js';
import { reportMarkdown, type PlotLink } from './markdown.js';
import { fontWarning, renderSvg, svgToPng } from './render.js';

export const PLOTS_DIR = 'plots';

export interface ReportOptions {
  /** Where to write the markdown; default RUN/report.md. Plots always go to RUN/plots/. */
  readonly out?: string;
  /** Produce the analysis when RUN/analysis.json is missing (it writes the file). */
  readonly analyze?: (runDir: string) => Promise<AnalysisDocument>;
  /** PNG scale relative to the SVG size; default 2. */
  readonly pngScale?: number;
}

export interface ReportResult {
  readonly reportPath: string;
  /** Absolute paths of the written plots, in report order. */
  readonly plots: { id: string; svg: string; png: string | null }[];
  readonly skipped: { id: string; title: string; reason: string }[];
  readonly warnings: string[];
  /** Whether the analysis was run because analysis.json was missing. */
  readonly analyzed: boolean;
}

const posix = (p: string) => p.split(sep).join('/');

function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function writeReport(runDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  checkRunDir(runDir);
  const warnings: string[] = [];
  let analyzed = false;
  let doc: AnalysisDocument;
  if (existsSync(join(runDir, FILES.analysis)) || !opts.analyze) {
    doc = readAnalysis(runDir);
  } else {
    doc = await opts.analyze(runDir);
    analyzed = true;
  }
  const manifest = readManifest(runDir, warnings);

  const reportPath = resolve(opts.out ?? join(runDir, FILES.report));
  const plotsDir = resolve(runDir, PLOTS_DIR);
  mkdirSync(plotsDir, { recursive: true });
  mkdirSync(dirname(reportPath), { recursive: true });
  const fonts = fontWarning();
  if (fonts) warnings.push(fonts);

  const { charts, skipped } = buildCharts(doc);
  const plots: ReportResult['plots'] = [];
  const links: PlotLink[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart.spec);
    const svgPath = join(plotsDir, `${chart.id}.svg`);
    writeAtomic(svgPath, svg);
    let pngPath: string | null = join(plotsDir, `${chart.id}.png`);
    try {
      writeAtomic(pngPath, svgToPng(svg, opts.pngScale ?? 2));
    } catch (e) {
      // The SVG is the primary artefact; a rasteriser failure costs only the PNG.
      warnings.push(`${chart.id}.png not written: ${(e as Error).message.split('\n')[0]}`);
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
  return { reportPath, plots, skipped, warnings, analyzed };
}
