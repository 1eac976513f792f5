/**
 * The run overview: one row per agent × horizon with the analysis's
 * incoherence, bias², variance and pooled survival curve S(t), next to
 * counts from the index. The analysis comes from RUN/analysis.json, or is
 * computed in memory by the analyzer when that file is absent or older than
 * the logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisDocumentSchema, analyzeRun, staleAnalysis, type AnalysisDocument } from '../../analysis/index.js';
import { FILES } from '../../log/index.js';
import type { Cell } from './groups.js';
import { errorLine, hotmessCommand } from '../../core/index.js';

export interface OverviewRow {
  readonly agent: string;
  readonly horizon: number;
  readonly groups: number;
  readonly rollouts: number;
  /** Rollouts that ended without success; errored ones are not failures. */
  readonly failed: number;
  /** Rollouts that ended in `error`: excluded from the metrics. */
  readonly errored: number;
  readonly incoherence: number | null;
  readonly biasSq: number | null;
  readonly variance: number | null;
  /** Pooled S(t), t = 1..; empty without an analysis. */
  readonly survival: readonly (number | null)[];
}

export type AnalysisState =
  | { readonly status: 'loading'; readonly note: string }
  | { readonly status: 'ready'; readonly doc: AnalysisDocument; readonly note: string | null }
  | { readonly status: 'unavailable'; readonly note: string };

export function overviewRows(cells: readonly Cell[], doc: AnalysisDocument | null): OverviewRow[] {
  return cells.map((c) => {
    let rollouts = 0;
    let failed = 0;
    let errored = 0;
    for (const g of c.groups)
      for (const m of g.members) {
        rollouts++;
        if (m.termination === 'error') errored++;
        else if (m.success !== true) failed++;
      }
    const h = doc?.horizons.find((x) => x.agent === c.agent && x.horizon === c.horizon) ?? null;
    return {
      agent: c.agent,
      horizon: c.horizon,
      groups: c.groups.length,
      rollouts,
      failed,
      errored,
      incoherence: h?.incoherence ?? null,
      biasSq: h?.biasSq ?? null,
      variance: h?.variance ?? null,
      survival: h ? h.steps.map((s) => s.survival) : [],
    };
  });
}

/**
 * RUN/analysis.json when present, valid and up to date with the logs
 * (staleAnalysis, shared with the report); otherwise the analyzer's result,
 * computed now in memory (never written), with a note saying why.
 */
export async function loadAnalysis(dir: string): Promise<AnalysisState> {
  const file = join(dir, FILES.analysis);
  let note: string | null = null;
  if (existsSync(file)) {
    try {
      const parsed = AnalysisDocumentSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) {
        const stale = staleAnalysis(dir, parsed.data);
        if (!stale) return { status: 'ready', doc: parsed.data, note: null };
        note = `analysis.json is out of date (${stale}): recomputed in memory (${hotmessCommand(`analyze ${dir}`)} updates it)`;
      } else note = `${file} does not match this hotmess's analysis schema; recomputed in memory (${hotmessCommand(`analyze ${dir}`)} rewrites it)`;
    } catch {
      note = `${file} is not valid JSON; recomputed in memory (${hotmessCommand(`analyze ${dir}`)} rewrites it)`;
    }
  }
  try {
    const doc = await analyzeRun(dir, { resamples: 200 });
    return { status: 'ready', doc, note: note ?? `analysis.json is missing: computed in memory (${hotmessCommand(`analyze ${dir}`)} saves it)` };
  } catch (e) {
    return { status: 'unavailable', note: `analysis unavailable: ${errorLine(e)}` };
  }
}
