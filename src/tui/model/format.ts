/** Short text forms for the terminal: action labels, sparklines, cutting. Pure. */
import { MISSING_KEY } from './group-data.js';

/** Cut `s` to `width` characters, marking the cut with "…". */
export function cut(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length > width ? s.slice(0, Math.max(0, width - 1)) + '…' : s;
}

/**
 * A compact label for an action given its canonical key: strings without
 * quotes, tool calls by tool name, anything else as its JSON.
 */
export function actionLabel(key: string): string {
  if (key === MISSING_KEY) return '?';
  let v: unknown;
  try {
    v = JSON.parse(key);
  } catch {
    return key;
  }
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.tool === 'string') return o.tool;
    if (o.respond === true) return 'respond';
  }
  return key;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A sparkline of values in [0, 1] (absolute scale: a survival curve reads the
 * same in every row), resampled to at most `width` characters by taking
 * the last value of each bucket. null → space.
 */
export function sparkline(values: readonly (number | null)[], width: number): string {
  if (values.length === 0 || width <= 0) return '';
  const n = Math.min(width, values.length);
  let out = '';
  for (let i = 0; i < n; i++) {
    const v = values[Math.min(values.length - 1, Math.floor(((i + 1) * values.length) / n) - 1)];
    if (v === null || !Number.isFinite(v)) out += ' ';
    else out += BARS[Math.max(0, Math.min(BARS.length - 1, Math.round(Math.max(0, Math.min(1, v)) * (BARS.length - 1))))];
  }
  return out;
}
