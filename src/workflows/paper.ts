/**
 * `hotmess paper` (npm run paper): every scenario of scenarios/paper/ run,
 * analysed and reported, and one report that states each of the paper's
 * findings with what was measured and whether it held. A run directory
 * that already holds a scenario's finished run is reused (resumed), so a
 * second invocation only rewrites the reports. Each scenario's report is
 * drawn by the caller's `writeReport` (the report layer sits above this one).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeRun, paperFinding, writeAnalysis, type Finding } from '../analysis/index.js';
import { loadScenarioFile, resolveScenario, runScenario, type Registry, type ScenarioFile } from '../engine/index.js';

export const PAPER_DIR = fileURLToPath(new URL('../../scenarios/paper/', import.meta.url));

/** At reduced size: fewer instances and rollouts, the same horizons and agents. */
export const QUICK = { instances: 12, rollouts: 20 } as const;

export interface PaperOptions {
  readonly out: string;
  readonly quick?: boolean;
  readonly registry: Registry;
  readonly version: string;
  /** Writes a run's report.md and plots; without it only the findings report is written. */
  readonly writeReport?: (dir: string) => Promise<{ readonly reportPath: string; readonly warnings: readonly string[] }>;
  readonly onScenario?: (name: string, index: number, total: number) => void;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onWarning?: (w: string) => void;
}

export interface PaperResult {
  readonly findings: (Finding & { readonly dir: string; readonly report: string | null })[];
  readonly report: string;
  readonly ok: boolean;
}

export function paperScenarioFiles(): string[] {
  return readdirSync(PAPER_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(PAPER_DIR, f));
}

function reduced(spec: ScenarioFile): ScenarioFile {
  return { ...spec, name: `${spec.name}-quick`, instances: Math.min(spec.instances, QUICK.instances), rollouts: Math.min(spec.rollouts, QUICK.rollouts) };
}

export async function runPaper(options: PaperOptions): Promise<PaperResult> {
  const files = paperScenarioFiles();
  const findings: PaperResult['findings'] = [];
  for (const [i, file] of files.entries()) {
    const full = loadScenarioFile(file);
    const spec = options.quick ? reduced(full) : full;
    options.onScenario?.(spec.name, i, files.length);
    const scenario = await resolveScenario(spec, options.registry, file);
    const dir = join(options.out, spec.name);
    await runScenario(scenario, { out: dir, registry: options.registry, version: options.version, resume: true, onProgress: options.onProgress });
    const doc = await analyzeRun(dir);
    writeAnalysis(dir, doc);
    let reportPath: string | null = null;
    if (options.writeReport) {
      const r = await options.writeReport(dir);
      r.warnings.forEach((w) => options.onWarning?.(w));
      reportPath = r.reportPath;
    }
    // The finding is keyed by the scenario file's name, whatever the run was called.
    findings.push({ ...paperFinding({ ...doc, run: { ...doc.run, name: full.name } }), dir, report: reportPath });
  }
  const report = join(options.out, 'report.md');
  writeFileSync(report, paperMarkdown(findings, options));
  return { findings, report, ok: findings.every((f) => f.holds) };
}

function paperMarkdown(findings: PaperResult['findings'], options: PaperOptions): string {
  const rel = (p: string) => relative(options.out, p).split('\\').join('/');
  const link = (f: PaperResult['findings'][number]) => (f.report ? `[${f.scenario}](${rel(f.report)})` : `\`${rel(f.dir)}\` (not reported)`);
  const lines = [
    '# The Hot Mess of AI, reproduced in simulation',
    '',
    `Each scenario of \`scenarios/paper/\` plants agents whose answer is known and asks one of the paper's questions${options.quick ? ` (reduced size: at most ${QUICK.instances} instances × ${QUICK.rollouts} rollouts)` : ''}. A finding holds when its 95% cluster-bootstrap interval, not only its point estimate, lies on the claimed side. The formulas are in \`docs/paper.md\` and \`../shared/docs/metrics.md\`.`,
    '',
    '| finding | measured | holds | report |',
    '|---|---|---|---|',
    ...findings.map((f) => `| ${f.claim} | ${f.measured.replace(/\|/g, '\\|')} | ${f.holds ? 'yes' : '**no**'} | ${link(f)} |`),
    '',
  ];
  for (const f of findings) lines.push(`## ${f.scenario}`, '', `${f.claim}.`, '', `Measured: ${f.measured}. ${f.holds ? 'Holds.' : '**Does not hold.**'}`, '', `Run: \`${rel(f.dir)}\`; report: ${link(f)}.`, '');
  return lines.join('\n');
}
