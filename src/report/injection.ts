/**
 * The error-injection plot and page: per-step accuracy after K against the
 * injection rate R across fork runs, with 95% intervals and the fitted
 * line (metrics spec H3). Writes OUT/injection.md and OUT/plots/injection.svg/.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectionSummary } from '../analysis/index.js';
import { renderSvg, svgToPng, type ChartSpec } from './render.js';

export function injectionChart(s: InjectionSummary): ChartSpec {
  const pts = s.points.filter((p) => p.accuracyAfter !== null).map((p) => ({ rate: p.rate, p: p.accuracyAfter!, lo: p.ci?.[0] ?? p.accuracyAfter!, hi: p.ci?.[1] ?? p.accuracyAfter! }));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const [mx, my] = [mean(pts.map((p) => p.rate)), mean(pts.map((p) => p.p))];
  const rates = pts.map((p) => p.rate);
  const line = s.slope === null ? [] : [Math.min(...rates), Math.max(...rates)].map((r) => ({ rate: r, fit: my + s.slope! * (r - mx) }));
  const x = { field: 'rate', type: 'quantitative' as const, title: 'injection rate R' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Per-step accuracy after the fork step against the injection rate',
    width: 380,
    height: 280,
    layer: [
      { data: { values: pts }, mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'p̂ after K (95% CI)', scale: { zero: false } }, y2: { field: 'hi' } } },
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y: { field: 'p', type: 'quantitative' } } },
      { data: { values: line }, mark: { type: 'line', strokeDash: [4, 3], color: '#888' }, encoding: { x, y: { field: 'fit', type: 'quantitative' } } },
    ],
  } as ChartSpec;
}

const f = (x: number | null) => (x === null ? '—' : String(Number(x.toPrecision(3))));

export async function writeInjectionReport(s: InjectionSummary, out: string): Promise<{ report: string; svg: string; png: string }> {
  mkdirSync(join(out, 'plots'), { recursive: true });
  const svg = await renderSvg(injectionChart(s), () => {});
  const svgPath = join(out, 'plots', 'injection.svg');
  const pngPath = join(out, 'plots', 'injection.png');
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, svgToPng(svg, 2));
  const lines = [
    '# Error injection: accuracy after the fork step against R',
    '',
    'Each fork replayed K logged steps with each action replaced by a wrong legal one at rate R (the state follows), then let the agent continue. p̂ after K is the fraction of steps t > K whose action is the oracle\'s at the agent\'s own state; intervals are 95% bootstraps over continuations. A negative slope is self-conditioning: the agent errs more after seeing its own errors.',
    '',
    '| R | K | continuations | injected per continuation | steps after K | p̂ after K [95% CI] | run |',
    '|---|---|---|---|---|---|---|',
    ...s.points.map((p) => `| ${p.rate} | ${p.step} | ${p.continuations} | ${f(p.meanInjected)} | ${p.steps} | ${f(p.accuracyAfter)}${p.ci ? ` [${f(p.ci[0])}, ${f(p.ci[1])}]` : ''} | \`${p.run}\` |`),
    '',
    `Slope of p̂ after K against R: ${f(s.slope)}${s.ci.slope ? ` [${f(s.ci.slope[0])}, ${f(s.ci.slope[1])}]` : ''}.`,
    '',
    '![accuracy after K against R](plots/injection.svg)',
    '',
  ];
  const report = join(out, 'injection.md');
  writeFileSync(report, lines.join('\n'));
  return { report, svg: svgPath, png: pngPath };
}
