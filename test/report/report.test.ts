/**
 * `writeReport` end to end on real files: a hand-built analysis.json and
 * manifest.json in a temp run directory → report.md, plots/*.svg and *.png.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisDocument } from '../../src/analysis/index.js';
import { isHotmessError } from '../../src/core/index.js';
import { AnalysisDocumentSchema, countAnalysedRollouts, summarizeAgents } from '../../src/analysis/index.js';
import { buildCharts, findFonts, fontSetup, fontWarning, renderSvg, svgToPng, writeReport, type FontSetup, type ReportResult } from '../../src/report/index.js';
import { makeResumedRun } from '../tui/helpers.js';
import { tempDir } from '../helpers/run-dir.js';
import { fixtureDocument, fixtureManifest } from './fixture.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const roots: string[] = [];

function runDir(doc: AnalysisDocument | null = fixtureDocument(), manifest: unknown = fixtureManifest()): string {
  const root = tempDir('hotmess-report-');
  roots.push(root);
  const dir = join(root, 'run');
  mkdirSync(dir);
  if (doc) writeFileSync(join(dir, 'analysis.json'), JSON.stringify(doc));
  if (manifest) writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** The visible text of an SVG's <text> elements. */
const svgTexts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

/** A one-line error, or fail. */
async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isHotmessError(e)) return e;
    throw e;
  }
  throw new Error('expected a HotmessError');
}

describe('a full report', () => {
  let dir: string;
  let result: ReportResult;
  let md: string;
  beforeAll(async () => {
    dir = runDir();
    result = await writeReport(dir);
    md = readFileSync(join(dir, 'report.md'), 'utf8');
  });

  it('writes report.md and one SVG and one PNG per plot, with no warnings', () => {
    expect(result.reportPath).toBe(resolve(dir, 'report.md'));
    expect(result.analyzed).toBe(false);
    // No vega warnings; a font warning only on a machine without fonts.
    const fonts = fontWarning();
    expect(result.warnings).toEqual(fonts ? [fonts] : []);
    expect(result.plots.map((p) => p.id)).toEqual([
      'survival', 'hazard', 'action-agreement', 'state-divergence', 'horizon-sweep', 'step-incoherence', 'bias-variance', 'pass-k', 'task-accuracy', 'ensemble',
    ]);
    const files = readdirSync(join(dir, 'plots')).sort();
    expect(files).toEqual(result.plots.flatMap((p) => [`${p.id}.png`, `${p.id}.svg`]).sort());
  });

  it('writes SVGs that parse, and PNGs that are valid images twice their size', () => {
    for (const p of result.plots) {
      const svg = readFileSync(p.svg, 'utf8');
      const parsed = new Resvg(svg); // a strict XML/SVG parser: throws on malformed input
      expect(parsed.width).toBeGreaterThan(100);
      const png = readFileSync(p.png!);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), p.id).toBe(true);
      // IHDR: width and height, big-endian, at bytes 16 and 20.
      expect(png.readUInt32BE(16)).toBe(Math.round(parsed.width * 2));
      expect(png.readUInt32BE(20)).toBe(Math.round(parsed.height * 2));
      expect(png.length).toBeGreaterThan(5000);
    }
  });

  it('labels the axes and draws the iso-incoherence lines', () => {
    const read = (id: string) => readFileSync(join(dir, 'plots', `${id}.svg`), 'utf8');
    const bv = read('bias-variance');
    const texts = svgTexts(bv);
    for (const c of ['0.09', '0.32', '0.5', '0.68', '0.9', '0.95']) expect(texts).toContain(c);
    expect(texts).toContain('bias² (√ scale)');
    expect(texts).toContain('variance (√ scale)');
    // One dashed path per iso line.
    expect(bv.match(/stroke-dasharray="4,3"/g)?.length).toBe(6);
    expect(svgTexts(read('survival'))).toEqual(expect.arrayContaining(['survival S(t)', 'step t', 'noisy-0.1', 'biased', 'horizon H']));
    expect(svgTexts(read('hazard'))).toContain('hazard h(t)');
    expect(svgTexts(read('action-agreement'))).toContain('action agreement');
    expect(svgTexts(read('state-divergence'))).toContain('state divergence');
    expect(svgTexts(read('horizon-sweep'))).toEqual(expect.arrayContaining(['incoherence', 'bias²', 'variance', 'horizon H']));
    expect(svgTexts(read('pass-k'))).toEqual(expect.arrayContaining(['pass^k', 'k (tries)']));
    expect(svgTexts(read('task-accuracy'))).toEqual(expect.arrayContaining(['measured A(t)', 'predicted p̂ᵗ']));
    expect(svgTexts(read('ensemble'))).toEqual(expect.arrayContaining(['ensemble size E', 'closed form V/(E·B²+V)', 'measured']));
    // Error bars: one rule per point with both CI ends (noisy @ 4: 3, noisy @ 8: 1, biased @ 4: 1).
    const ruleGroups = [...read('horizon-sweep').matchAll(/<g class="mark-rule role-mark[^"]*"[^>]*>(.*?)<\/g>/g)];
    expect(ruleGroups.map((g) => g[1].match(/<line/g)?.length ?? 0)).toEqual([3, 1, 1]);
  });

  it('opens with the per-agent sentences of analyze, before the plots', () => {
    const doc = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8'));
    const first = md.indexOf('## In short');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(md.indexOf('## Plots'));
    expect(md.indexOf('## Plots')).toBeLessThan(md.indexOf('## What was run'));
    for (const s of summarizeAgents(AnalysisDocumentSchema.parse(doc))) {
      const [agent, rest] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)];
      expect(md).toContain(`- **${agent}:**${rest}`);
    }
  });
  it('references every plot, SVG embedded and PNG linked', () => {
    for (const p of result.plots) {
      expect(md).toContain(`](plots/${p.id}.svg)`);
      expect(md).toContain(`](plots/${p.id}.png)`);
    }
  });

  it('says how to reproduce the run: scenario, seed, agent settings, commands', () => {
    expect(md).toContain('**Seed:** `42`');
    expect(md).toContain('| noisy-0.1 | noisy | `{"epsilon":0.1}` |');
    expect(md).toContain('`kv-sum` with params `{"keysPerStep":2}`');
    expect(md).toContain('as `report-fixture.yaml`');
    expect(md).toContain(`npm run -s hotmess -- run report-fixture.yaml --out ${dir}-rerun`);
    expect(md).toContain(`npm run -s hotmess -- report ${dir}-rerun`);
    expect(md).toContain('seed: 42'); // the resolved scenario, as YAML
    expect(md).toContain('agent seed = `derive(seed, "agent", agent, horizon, instance, index)`');
    expect(md).toContain('--bootstrap 200 --buckets 2');
  });

  it('includes the analysis table with CIs, pass^k chains and nulls as dashes', () => {
    expect(md).toContain('| noisy-0.1 | 4 | 2 | 8 | 0.714 [0.6, 0.8] | 0.2 | 0.5 | 0.7 | 0.66 → 0.45 → 0.3 → 0.2 | 0.9 | 7 | 6.58 | 0.82 | 3.49 | 1.5 | 0 |');
    expect(md).toContain('| biased | 8 | 2 | 2 | — | — | — | — |');
    expect(md).toContain('- N = 4 < 30 rollouts per group');
    expect(md).toContain('### Incoherence by rollout length');
  });

  it('is deterministic: a second report is byte-identical', async () => {
    const before = result.plots.map((p) => readFileSync(p.svg));
    const pngBefore = result.plots.map((p) => readFileSync(p.png!));
    await writeReport(dir);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe(md);
    result.plots.forEach((p, i) => {
      expect(readFileSync(p.svg).equals(before[i])).toBe(true);
      expect(readFileSync(p.png!).equals(pngBefore[i])).toBe(true);
    });
  });
});

describe('options and edge cases', () => {
  it('--out elsewhere links back to RUN/plots with relative paths that resolve', async () => {
    const dir = runDir();
    const out = join(dirname(dir), 'docs', 'nested', 'my-report.md');
    const r = await writeReport(dir, { out, pngScale: 1 });
    expect(r.reportPath).toBe(out);
    expect(existsSync(join(dir, 'report.md'))).toBe(false);
    const md = readFileSync(out, 'utf8');
    const links = [...md.matchAll(/\]\(([^)]+\.(?:svg|png))\)/g)].map((m) => decodeURI(m[1]));
    expect(links.length).toBe(2 * r.plots.length);
    for (const l of links) {
      expect(l.startsWith('../../run/plots/')).toBe(true);
      expect(existsSync(resolve(dirname(out), l))).toBe(true);
    }
  });

  it('removes a plot left by an earlier report when it is no longer drawn', async () => {
    const dir = runDir();
    await writeReport(dir, { pngScale: 1 });
    expect(existsSync(join(dir, 'plots', 'ensemble.svg'))).toBe(true);
    const doc = fixtureDocument();
    doc.ensembles = [];
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(doc));
    const r = await writeReport(dir, { pngScale: 1 });
    expect(existsSync(join(dir, 'plots', 'ensemble.svg'))).toBe(false);
    expect(existsSync(join(dir, 'plots', 'ensemble.png'))).toBe(false);
    expect(r.skipped.map((s) => s.id)).toEqual(['ensemble']);
    const md = readFileSync(r.reportPath, 'utf8');
    expect(md).toContain('### Not drawn');
    expect(md).not.toContain('plots/ensemble.svg');
  });

  it('draws from analysis.json alone when the manifest is missing, with a warning', async () => {
    const dir = runDir(fixtureDocument(), null);
    const r = await writeReport(dir, { pngScale: 1 });
    expect(r.warnings.filter((w) => w !== fontWarning())).toHaveLength(1);
    expect(r.warnings[0]).toContain('manifest.json: missing');
    const md = readFileSync(r.reportPath, 'utf8');
    expect(md).toContain('**Seed:** `42`');
    expect(md).toContain('| biased | biased | `{}` |');
    expect(md).toContain('> **Warning:**');
  });
});

describe('degenerate data draws without vega warnings (regression: 7 "Infinite extent" warnings on fork reports)', () => {
  const noIntervals = (doc: AnalysisDocument): AnalysisDocument => {
    for (const h of doc.horizons) h.ci = Object.fromEntries(Object.keys(h.ci).map((k) => [k, null]));
    return doc;
  };
  const vegaWarnings = (r: ReportResult) => r.warnings.filter((w) => w !== fontWarning());

  it('several horizons, no interval anywhere: every chart drawn, no warning', async () => {
    const r = await writeReport(runDir(noIntervals(fixtureDocument())), { pngScale: 1 });
    expect(vegaWarnings(r)).toEqual([]);
    expect(r.plots.map((p) => p.id)).toContain('horizon-sweep');
  });

  it('one horizon, no interval (a fork): the sweep is listed under "Not drawn", no warning', async () => {
    const doc = noIntervals(fixtureDocument());
    doc.horizons = doc.horizons.filter((h) => h.horizon === 8 && h.agent === 'noisy-0.1');
    doc.ensembles = doc.ensembles.filter((e) => e.horizon === 8);
    const r = await writeReport(runDir(doc), { pngScale: 1 });
    expect(vegaWarnings(r)).toEqual([]);
    expect(r.skipped.map((s) => s.id)).toEqual(['horizon-sweep']);
    const md = readFileSync(r.reportPath, 'utf8');
    expect(md).toContain('### Not drawn');
    expect(md).toContain('- Incoherence, bias² and variance against the horizon: one horizon only (H = 8)');
  });
});

describe('an analysis.json older than the logs (regression: a report of a resumed run used it as is)', () => {
  let dir: string;
  let staleCount: number;
  let logged: number;
  beforeAll(async () => {
    ({ dir, staleCount } = await makeResumedRun(5));
    logged = readFileSync(join(dir, 'rollouts.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).length;
  });

  it('re-analyses the run and rewrites analysis.json when a log is newer', async () => {
    expect(staleCount).toBeLessThan(logged);
    const r = await writeReport(dir, { pngScale: 1, analysis: { resamples: 20 } });
    expect(r.reanalyzed).toMatch(/^(rollouts|steps)\.jsonl changed after analysis\.json was written$/);
    expect(r.analyzed).toBe(true);
    const doc = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as AnalysisDocument;
    expect(doc.counts.rollouts + doc.counts.errored).toBe(logged);
    expect(readFileSync(r.reportPath, 'utf8')).toContain(`| noisy | 4 |`);
    // Now current: the next report uses it as is.
    const again = await writeReport(dir, { pngScale: 1 });
    expect([again.reanalyzed, again.analyzed]).toEqual([null, false]);
  });

  it('re-analyses when its rollout count disagrees with rollouts.jsonl, whatever the mtimes say', async () => {
    const doc = JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as AnalysisDocument;
    doc.counts.rollouts = staleCount;
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(doc));
    const past = new Date(Date.UTC(2020, 0, 1));
    utimesSync(join(dir, 'rollouts.jsonl'), past, past);
    utimesSync(join(dir, 'steps.jsonl'), past, past);
    const r = await writeReport(dir, { pngScale: 1, analysis: { resamples: 20 } });
    expect(r.reanalyzed).toBe(`analysis.json counts ${staleCount + doc.counts.errored} rollouts but rollouts.jsonl holds ${logged}`);
    expect((JSON.parse(readFileSync(join(dir, 'analysis.json'), 'utf8')) as AnalysisDocument).counts.rollouts).toBe(logged);
  });

  it('counts rollouts as the analyzer does: error lines, plus each rollout by its last line; a torn last line is skipped', () => {
    const line = (id: string, termination: string) => JSON.stringify({ rollout: id, termination });
    const text = [line('a', 'error'), line('a', 'terminated'), line('b', 'terminated'), line('c', 'terminated'), line('c', 'error'), '{"rollout": "d", "termin'].join('\n');
    // a: 1 error + its re-run; b: 1; c: its success was replaced by an error line (1).
    const file = join(tempDir(), 'rollouts.jsonl');
    writeFileSync(file, text);
    expect(countAnalysedRollouts(file)).toBe(4);
  });
});

describe('bad input: one-line errors naming the file', () => {
  it('a missing run directory', async () => {
    const e = await errorOf(writeReport(join(tempDir('hotmess-report-'), 'nope')));
    expect(e.code).toBe('input');
    expect(e.message).toMatch(/nope: no such run directory$/);
  });

  it('corrupt analysis.json', async () => {
    const dir = runDir(null);
    writeFileSync(join(dir, 'analysis.json'), '{"schema": "hotmess.analysis/1", "horiz');
    const e = await errorOf(writeReport(dir));
    expect(e.message).toContain(join(dir, 'analysis.json'));
    expect(e.message).toContain('not valid JSON');
    expect(e.message).not.toContain('\n');
  });

  it('an unknown schema version', async () => {
    const dir = runDir({ ...fixtureDocument(), schema: 'hotmess.analysis/9' } as unknown as AnalysisDocument);
    const e = await errorOf(writeReport(dir));
    expect(e.code).toBe('log');
    expect(e.message).toContain('unknown schema "hotmess.analysis/9"');
  });

  it('a field of the wrong type, named by its path', async () => {
    const doc = fixtureDocument() as unknown as { horizons: { agent: unknown }[] };
    doc.horizons[1].agent = 7;
    const dir = runDir(doc as unknown as AnalysisDocument);
    const e = await errorOf(writeReport(dir));
    expect(e.message).toMatch(/analysis\.json: horizons\.1\.agent: /);
  });
});

describe('fonts', () => {
  /** Dark pixels of a text-only SVG rendered with `fonts`. */
  const ink = (fonts: FontSetup) => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="4" y="22" font-family="sans-serif" font-size="18">bias²</text></svg>';
    const px = new Resvg(svg, { font: fonts.options, background: 'white' }).render().pixels;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
    return dark;
  };

  it('finds this machine\'s fonts and renders PNG text with them, or warns', () => {
    const fonts = fontSetup();
    if (fontWarning() === null) expect(ink(fonts)).toBeGreaterThan(50);
    else expect(ink(fonts)).toBe(0);
  });

  it('degrades without fonts: a warning naming the package, and a PNG without text', async () => {
    const empty = tempDir('hotmess-nofonts-');
    roots.push(empty);
    const none = findFonts([empty], false);
    expect(none.rendersText).toBe(false);
    expect(ink(none)).toBe(0);
    expect(fontWarning(none)).toContain('fonts-dejavu-core');
    const svg = await renderSvg(buildCharts(fixtureDocument()).charts[0].spec);
    const png = svgToPng(svg, 1, none);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });
});
