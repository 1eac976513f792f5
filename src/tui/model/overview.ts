/**
 * The run overview: one row per agent × horizon with the analysis's
 * incoherence, bias², variance and pooled survival curve S(t), next to
 * counts from the index. The analysis comes from RUN/analysis.json, or is
 * computed in memory by the analyzer when that file is absent or older than
 * the logs. What the overview reads of analysis.json (a few figures and S(t)
 * per row, out of tens of MB at 10⁷ steps) is cached in
 * RUN/.replay-overview.json, used only while analysis.json keeps the size
 * and mtime it records.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AnalysisDocumentSchema, analyzeRun, staleAnalysis } from '../../analysis/index.js';
import { FILES } from '../../log/index.js';
import type { Cell } from './groups.js';
import { errorLine, hotmessCommand } from '../../core/index.js';
import { sameStamp, Stamp, stampOf } from './run-index.js';

export const OVERVIEW_FILE = '.replay-overview.json';
const OVERVIEW_VERSION = 1;

/** What the overview reads of an analysis document (a full AnalysisDocument is one). */
export interface OverviewDoc {
  /** For the staleness check against rollouts.jsonl. */
  readonly counts: { readonly rollouts: number; readonly errored: number };
  readonly horizons: readonly {
    readonly agent: string;
    readonly horizon: number;
    readonly incoherence: number | null;
    readonly biasSq: number | null;
    readonly variance: number | null;
    readonly steps: readonly { readonly survival: number | null }[];
  }[];
}

const Fig = z.number().nullable();
/** The cache on disk: S(t) as one array per row. */
const OverviewCacheSchema = z.object({
  version: z.literal(OVERVIEW_VERSION),
  analysis: Stamp,
  counts: z.object({ rollouts: z.number(), errored: z.number() }),
  horizons: z.array(z.object({ agent: z.string(), horizon: z.number(), incoherence: Fig, biasSq: Fig, variance: Fig, survival: z.array(Fig) })),
});

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
  | { readonly status: 'ready'; readonly doc: OverviewDoc; readonly note: string | null }
  | { readonly status: 'unavailable'; readonly note: string };

export function overviewRows(cells: readonly Cell[], doc: OverviewDoc | null): OverviewRow[] {
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
 * computed now in memory (never written), with a note saying why. `cache`
 * (default true): read RUN/.replay-overview.json when it matches
 * analysis.json, and write it after reading analysis.json in full; false
 * for a run still being written, which is never written to.
 */
export async function loadAnalysis(dir: string, opts: { readonly cache?: boolean } = {}): Promise<AnalysisState> {
  const file = join(dir, FILES.analysis);
  const cacheFile = join(dir, OVERVIEW_FILE);
  let note: string | null = null;
  if (existsSync(file)) {
    // Stamped before reading: a file replaced meanwhile leaves a cache that no longer matches.
    const stamp = stampOf(file);
    const cached = opts.cache === false ? null : readOverviewCache(cacheFile, stamp);
    let doc: OverviewDoc | null = cached;
    if (!doc) {
      try {
        const parsed = AnalysisDocumentSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
        if (parsed.success) {
          doc = parsed.data;
          if (opts.cache !== false) writeOverviewCache(cacheFile, stamp, doc);
        } else note = `${file} does not match this hotmess's analysis schema; recomputed in memory (${hotmessCommand(`analyze ${dir}`)} rewrites it)`;
      } catch {
        note = `${file} is not valid JSON; recomputed in memory (${hotmessCommand(`analyze ${dir}`)} rewrites it)`;
      }
    }
    if (doc) {
      const stale = staleAnalysis(dir, doc);
      if (!stale) return { status: 'ready', doc, note: null };
      note = `analysis.json is out of date (${stale}): recomputed in memory (${hotmessCommand(`analyze ${dir}`)} updates it)`;
    }
  }
  try {
    const doc = await analyzeRun(dir, { resamples: 200 });
    return { status: 'ready', doc, note: note ?? `analysis.json is missing: computed in memory (${hotmessCommand(`analyze ${dir}`)} saves it)` };
  } catch (e) {
    return { status: 'unavailable', note: `analysis unavailable: ${errorLine(e)}` };
  }
}

function readOverviewCache(file: string, stamp: Stamp): OverviewDoc | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = OverviewCacheSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success || !sameStamp(parsed.data.analysis, stamp)) return null;
    const { counts, horizons } = parsed.data;
    return { counts, horizons: horizons.map(({ survival, ...h }) => ({ ...h, steps: survival.map((s) => ({ survival: s })) })) };
  } catch {
    // A damaged cache is rebuilt, never an error.
    return null;
  }
}

function writeOverviewCache(file: string, stamp: Stamp, doc: OverviewDoc): void {
  const cache: z.infer<typeof OverviewCacheSchema> = {
    version: OVERVIEW_VERSION,
    analysis: stamp,
    counts: { rollouts: doc.counts.rollouts, errored: doc.counts.errored },
    horizons: doc.horizons.map((h) => ({ agent: h.agent, horizon: h.horizon, incoherence: h.incoherence, biasSq: h.biasSq, variance: h.variance, survival: h.steps.map((s) => s.survival) })),
  };
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, file);
  } catch {
    // A read-only run directory still replays; it just reads analysis.json in full next time.
  }
}
