/** Short text forms for the terminal: action labels, sparklines, cutting. Pure. */
import { MISSING_KEY } from './group-data.js';

/** Cut `s` to `width` characters, marking the cut with "…". */
export function cut(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length > width ? s.slice(0, Math.max(0, width - 1)) + '…' : s;
}

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
/** Objects with at most this many scalar fields get a values-only label. */
const MAX_FIELDS = 4;

/** The fields of a flat object action (scalar values only, 1..MAX_FIELDS of them), else null. */
function flatFields(v: unknown): [string, Scalar][] | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_FIELDS || !entries.every(([, x]) => isScalar(x))) return null;
  return entries as [string, Scalar][];
}

/** A move `{from, to}` reads as `from→to`; other flat objects as their values joined by `/`, in key order. */
const isMove = (fields: readonly [string, Scalar][]): boolean => fields.length === 2 && fields[0][0] === 'from' && fields[1][0] === 'to';

/**
 * A compact label for an action given its canonical key: strings without
 * quotes, tool calls by tool name, flat objects by their values
 * (`{"from":"B","to":"C"}` → `B→C`, `{"price":"mid","restock":5}` →
 * `mid/5`; `actionLegend` says which field is which), anything else as its
 * JSON. Canonical keys sort object fields, so a label is stable.
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
    const fields = flatFields(o);
    if (fields) return isMove(fields) ? `${String(fields[0][1])}→${String(fields[1][1])}` : fields.map(([, x]) => String(x)).join('/');
  }
  return key;
}

/**
 * How the labels of flat object actions read, for a legend: one entry per
 * field layout among `keys`, e.g. `from→to` or `price/restock`. Empty when
 * no action is a flat object (labels are then the actions themselves).
 */
export function actionLegend(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key === MISSING_KEY || key[0] !== '{') continue;
    let v: unknown;
    try {
      v = JSON.parse(key);
    } catch {
      continue;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.tool === 'string' || o.respond === true) continue;
    const fields = flatFields(v);
    if (fields) seen.add(isMove(fields) ? 'from→to' : fields.map(([k]) => k).join('/'));
  }
  return [...seen];
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
