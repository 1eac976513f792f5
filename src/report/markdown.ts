/**
 * The report as markdown: the answer in one sentence per agent (as
 * `hotmess analyze` prints it), every plot with its caption, then what was
 * run (so a reader can reproduce it) and the analysis table. Pure.
 */
import { stringify } from 'yaml';
import type { Manifest } from '../log/index.js';
import type { Chart } from './charts/index.js';
import { fmt, fmtInterval, summarizeAgents, type AnalysisDocument, type HorizonSummary } from '../analysis/index.js';

export interface PlotLink {
  readonly chart: Chart;
  /** Link targets relative to the report file, with forward slashes. */
  readonly svg: string;
  readonly png: string | null;
}

export interface ReportContent {
  /** The run directory as the reader should type it. */
  readonly runDir: string;
  readonly doc: AnalysisDocument;
  readonly manifest: Manifest | null;
  readonly plots: readonly PlotLink[];
  readonly skipped: readonly { id: string; title: string; reason: string }[];
  readonly warnings: readonly string[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const json = (v: unknown) => (v === undefined ? '{}' : JSON.stringify(v));
const link = (p: string) => encodeURI(p);
const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The manifest's seed derivation rules, when it records them. */
function seedRules(m: Manifest | null): string {
  const seeds = m?.seeds as { env?: unknown; agent?: unknown } | undefined;
  if (typeof seeds?.env === 'string' && typeof seeds.agent === 'string') return ` Environment seed = \`${seeds.env}\`; agent seed = \`${seeds.agent}\`.`;
  return '';
}

function setup(c: ReportContent): string[] {
  const run = c.doc.run;
  const m = c.manifest;
  const name = m?.name ?? run.name;
  const envParams = (m?.scenario as { params?: unknown } | undefined)?.params ?? run.environment.params;
  const madeBy = m?.source ?? run.source;
  const hash = m?.scenarioHash ?? run.scenarioHash;
  const agents = m?.agents ?? run.agents;
  const lines = [
    '## What was run',
    '',
    `- **Scenario:** ${name}${hash ? ` (hash \`${hash}\`)` : ''}${madeBy ? `, made by \`${madeBy}\`` : ''}`,
    `- **Environment:** \`${run.environment.name}\` with params \`${json(envParams)}\``,
    `- **Seed:** \`${m?.seed ?? run.seed ?? 'none recorded'}\`.${seedRules(m)} Every rollout is a function of this seed and its coordinates alone.`,
    `- **Horizons:** ${(m?.horizons ?? run.horizons).join(', ') || '—'}; **instances:** ${fmt(m?.instances ?? run.instances)}; **rollouts per group:** ${fmt(m?.rollouts ?? run.rollouts)}`,
    `- **Analysis:** ${c.doc.settings.bootstrap} bootstrap resamples (seed \`${c.doc.settings.bootstrapSeed}\`), ${c.doc.settings.buckets} length buckets; ${c.doc.counts.rollouts} rollouts (${c.doc.counts.errored} errored, excluded), ${c.doc.counts.stepLines} step lines.`,
    ...(m?.notes ?? []).map((n) => `- **Note:** ${n}`),
    '',
    '| agent | kind | params |',
    '|---|---|---|',
    ...agents.map((a) => `| ${cell(a.name)} | ${cell(a.kind)} | \`${cell(json(a.params))}\` |`),
    '',
    '### Reproduce',
    '',
  ];
  const file = `${name.replace(/[^\w.-]+/g, '-') || 'scenario'}.yaml`;
  if (m?.scenario) {
    lines.push(`Save the resolved scenario, as recorded in \`manifest.json\`, as \`${file}\`:`, '', '```yaml', stringify(m.scenario).trimEnd(), '```', '', 'then run:', '');
  } else {
    lines.push(`The manifest is missing, so the scenario file is not recorded here; with it saved as \`${file}\`, run:`, '');
  }
  const rerun = `${c.runDir.replace(/\/+$/, '')}-rerun`;
  lines.push(
    '```sh',
    '# into a fresh directory; scripted agents give the same logs up to `timing` keys and line order',
    `npm run -s hotmess -- run ${shellQuote(file)} --out ${shellQuote(rerun)}`,
    `npm run -s hotmess -- analyze ${shellQuote(rerun)} --bootstrap ${c.doc.settings.bootstrap} --buckets ${c.doc.settings.buckets}`,
    `npm run -s hotmess -- report ${shellQuote(rerun)}`,
    '```',
    '',
  );
  return lines;
}

function passChain(row: HorizonSummary): string {
  const ks = Object.keys(row.passK)
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return ks.length === 0 ? '—' : ks.map((k) => fmt(row.passK[String(k)])).join(' → ');
}

function ciText(row: HorizonSummary): string {
  const ci = fmtInterval(row.ci.incoherence);
  return ci ? ` ${ci}` : '';
}

/** One row per agent × horizon, the columns of `hotmess analyze`. */
export function analysisTable(rows: readonly HorizonSummary[]): string[] {
  const head = ['agent', 'H', 'groups', 'rollouts', 'incoherence [95% CI]', 'bias²', 'variance', 'error', 'pass^k (k=1…)', 'p̂', 'H50 obs', 'H50 pred', 'q̂', 't½', 'growth b', 'hazard slope', 'error-rate slope'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = [
      cell(r.agent),
      String(r.horizon),
      fmt(r.groups),
      fmt(r.rollouts),
      fmt(r.incoherence) + ciText(r),
      fmt(r.biasSq),
      fmt(r.variance),
      fmt(r.error),
      passChain(r),
      fmt(r.stepAccuracy),
      fmt(r.h50Observed),
      fmt(r.h50Predicted),
      fmt(r.q),
      fmt(r.halfLife),
      fmt(r.growthExponent),
      fmt(r.hazardSlope),
      fmt(r.errorRateSlope),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out;
}

/** Incoherence per length bucket and per median-split half (spec D2, D3). */
function lengthTables(doc: AnalysisDocument): string[] {
  const out: string[] = [];
  // A row with no incoherence, bias² or variance (an oracle's) says nothing: such rows, and a table of only them, are left out.
  const buckets = doc.buckets.filter((b) => b.incoherence !== null || b.biasSq !== null || b.variance !== null);
  if (buckets.length > 0) {
    out.push('### Incoherence by rollout length', '', '| agent | bucket | groups | mean length | incoherence | bias² | variance |', '|---|---|---|---|---|---|---|');
    for (const b of buckets) out.push(`| ${cell(b.agent)} | ${b.bucket} | ${b.groups} | ${fmt(b.meanLength)} | ${fmt(b.incoherence)} | ${fmt(b.biasSq)} | ${fmt(b.variance)} |`);
    out.push('');
  }
  const halves = doc.medianSplit.agents.filter((a) => a.short.incoherence !== null || a.long.incoherence !== null);
  if (halves.length > 0) {
    out.push(`### Median split (${doc.medianSplit.rule})`, '', '| agent | groups | short: mean length | short: incoherence | long: mean length | long: incoherence |', '|---|---|---|---|---|---|');
    for (const a of halves) {
      out.push(`| ${cell(a.agent)} | ${a.groups} | ${fmt(a.short.meanLength)} | ${fmt(a.short.incoherence)} | ${fmt(a.long.meanLength)} | ${fmt(a.long.incoherence)} |`);
    }
    out.push('');
  }
  if (doc.scaling.length > 0) {
    out.push('### Scaling along a family', '', 'Log-log slopes β against scale; Δ = β bias² − β variance, with its 95% cluster-bootstrap interval. A direction is stated only when that interval excludes 0.', '');
    out.push('| family | H | scales | β bias² | β variance | β incoherence | Δ [95% CI] | verdict |', '|---|---|---|---|---|---|---|---|');
    for (const e of doc.scaling) {
      const iv = e.ci.delta ? ` [${fmt(e.ci.delta[0])}, ${fmt(e.ci.delta[1])}]` : '';
      out.push(`| ${cell(e.family)} | ${e.horizon ?? 'all'} | ${e.points} | ${fmt(e.betaBias)} | ${fmt(e.betaVariance)} | ${fmt(e.betaIncoherence)} | ${fmt(e.delta)}${iv} | ${e.verdict} |`);
    }
    out.push('');
  }
  const f = doc.fork;
  if (f) {
    out.push('### Fork', '', `Forked from \`${f.sourceRollout ?? 'unknown'}\` at step ${f.step}: ${fmt(f.inherited)} of pairs had already split inside the shared prefix, ${fmt(f.createdAfter)} split after it.`, '');
  }
  return out;
}

/** The per-agent sentences of `hotmess analyze`, as the report's opening. */
function headline(doc: AnalysisDocument): string[] {
  if (doc.horizons.length === 0) return [];
  return ['## In short', '', ...summarizeAgents(doc).map((s) => `- ${s.replace(/^([^:]+):/, (_, a: string) => `**${cell(a)}:**`)}`), ''];
}

function plots(c: ReportContent): string[] {
  const lines = ['## Plots', ''];
  for (const p of c.plots) {
    lines.push(`### ${p.chart.title}`, '', p.chart.caption, '', `![${p.chart.title}](${link(p.svg)})`, '');
    if (p.png) lines.push(`PNG: [${p.png}](${link(p.png)})`, '');
  }
  if (c.skipped.length > 0) {
    lines.push('### Not drawn', '');
    for (const s of c.skipped) lines.push(`- ${s.title}: ${s.reason}.`);
    lines.push('');
  }
  return lines;
}

/** The report: the answer in sentences, the plots, then what was run and the numbers behind both. */
export function reportMarkdown(c: ReportContent): string {
  const title = c.manifest?.name ?? c.doc.run.name;
  const lines = [`# hotmess report: ${title}`, ''];
  lines.push(...headline(c.doc));
  for (const w of c.warnings) lines.push(`> **Warning:** ${w}`, '');
  lines.push(...plots(c));
  lines.push(...setup(c));
  lines.push('## Analysis', '');
  if (c.doc.horizons.length === 0) lines.push('No agent × horizon had any rollouts to analyse.', '');
  else lines.push(...analysisTable(c.doc.horizons), '');
  lines.push(
    'Incoherence = variance / error over all groups of a horizon (a ratio of sums): 0 when all error is bias, 1 when all is variance. ' +
      'p̂ is per-step accuracy against the oracle; H50 is where task accuracy falls below one half; q̂ is the per-step pair agreement and t½ its half-life; ' +
      'the hazard slope and error-rate slope are flat for memoryless errors and positive when errors compound.',
    '',
  );
  if (c.doc.warnings.length > 0) {
    lines.push('### Analysis warnings', '', ...c.doc.warnings.map((w) => `- ${w}`), '');
  }
  lines.push(...lengthTables(c.doc));
  return lines.join('\n');
}
