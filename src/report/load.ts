/**
 * Read what the report needs from a run directory: analysis.json (checked
 * against the analyzer's zod schema) and manifest.json (optional: the
 * analysis document's `run` block stands in for it). Bad input is a one-line
 * HotmessError naming the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine, HotmessError, isHotmessError, hotmessCommand, zodIssue } from '../core/index.js';
import { FILES, readManifest, type Manifest } from '../log/index.js';
import { ANALYSIS_SCHEMA, AnalysisDocumentSchema, type AnalysisDocument } from '../analysis/index.js';

export function checkRunDir(runDir: string): void {
  if (!existsSync(runDir)) throw new HotmessError('input', `${runDir}: no such run directory`);
  if (!statSync(runDir).isDirectory()) throw new HotmessError('input', `${runDir}: not a directory (expected a run directory)`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HotmessError('input', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HotmessError('log', `${file}: not valid JSON (${errorLine(e)})`);
  }
}

/** Check an analysis document against the analyzer's schema; the first problem names its field. */
export function parseAnalysis(value: unknown, file: string): AnalysisDocument {
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema !== ANALYSIS_SCHEMA) {
    throw new HotmessError('log', `${file}: unknown schema ${JSON.stringify(schema ?? null)} (this hotmess reads ${ANALYSIS_SCHEMA}; re-run ${hotmessCommand('analyze RUN')})`);
  }
  const parsed = AnalysisDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new HotmessError('log', `${file}: ${zodIssue(parsed.error, { root: 'document' })} (re-run ${hotmessCommand('analyze RUN')})`);
  }
  return parsed.data;
}

export function readAnalysis(runDir: string): AnalysisDocument {
  const file = join(runDir, FILES.analysis);
  if (!existsSync(file)) throw new HotmessError('input', `${file}: missing (run ${hotmessCommand(`analyze ${runDir}`)} first)`);
  return parseAnalysis(readJson(file), file);
}

/**
 * The manifest, or null with a warning when it is missing or invalid: the
 * report can still be drawn from analysis.json, whose `run` block stands in.
 */
export function readManifestOrNull(runDir: string, warnings: string[]): Manifest | null {
  try {
    return readManifest(runDir);
  } catch (e) {
    if (!isHotmessError(e)) throw e;
    warnings.push(`${e.message}; the scenario shown comes from analysis.json alone`);
    return null;
  }
}
