/**
 * Scaling along a family (metrics spec H2): bias² and variance against
 * scale on log-log axes, one line per horizon (the family pooled over
 * horizons dashed), so a power law is a straight line and its slope the β
 * of the analysis. One chart per family. Pure.
 */
import type { AnalysisDocument } from '../../analysis/index.js';
import type { ChartSpec } from '../render.js';
import { chartOrSkip, isNum, noCharts, type ChartFamily } from './common.js';

export function scalingCharts(doc: AnalysisDocument): ChartFamily {
  const out = noCharts();
  const families = [...new Set(doc.scaling.map((e) => e.family))];
  for (const family of families) {
    const id = `scaling-${family}`;
    const title = `Scaling of ${family}: bias² and variance against scale (log-log)`;
    const all = doc.scaling.filter((e) => e.family === family);
    // With one horizon the pooled line would repeat it.
    const entries = all.filter((e) => e.horizon !== null).length > 1 ? all : all.filter((e) => e.horizon !== null);
    const values: { scale: number; value: number; metric: string; horizon: string }[] = [];
    for (const e of entries)
      for (const p of e.series) {
        const horizon = e.horizon === null ? 'all' : String(e.horizon);
        if (isNum(p.biasSq) && p.biasSq > 0) values.push({ scale: p.scale, value: p.biasSq, metric: 'bias²', horizon });
        if (isNum(p.variance) && p.variance > 0) values.push({ scale: p.scale, value: p.variance, metric: 'variance', horizon });
      }
    chartOrSkip(out, id, title, values.length === 0 ? 'no positive bias² or variance to place on a log axis' : null, () => {
      const horizons = [...new Set(values.map((v) => v.horizon))];
      const scales = values.map((v) => v.scale);
      const spec: ChartSpec = {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title,
        width: 380,
        height: 300,
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'scale', type: 'quantitative', title: 'scale (log)', scale: { type: 'log', domain: [Math.min(...scales), Math.max(...scales)], nice: false } },
          y: { field: 'value', type: 'quantitative', title: 'bias² / variance (log)', scale: { type: 'log' } },
          color: { field: 'horizon', type: 'ordinal', title: 'horizon H', sort: horizons, scale: { scheme: 'tableau10' } },
          strokeDash: { field: 'metric', type: 'nominal', title: 'metric', sort: ['bias²', 'variance'] },
          shape: { field: 'metric', type: 'nominal', title: 'metric', sort: ['bias²', 'variance'] },
          detail: { field: 'metric', type: 'nominal' },
        },
      } as ChartSpec;
      const pooled = all.find((e) => e.horizon === null);
      const slopes = pooled ? ` Pooled slopes: β bias² ${fmt(pooled.betaBias)}, β variance ${fmt(pooled.betaVariance)}; verdict: ${pooled.verdict}.` : '';
      return {
        caption: `One line per horizon ("all" = pooled over horizons), solid for bias², dashed for variance. On log-log axes a power law is straight and its slope is the β of the analysis; a bias² line steeper than the variance line is the paper's "bias falls faster than variance".${slopes}`,
        spec,
      };
    });
  }
  return out;
}

const fmt = (x: number | null) => (x === null ? '—' : String(Number(x.toPrecision(3))));
