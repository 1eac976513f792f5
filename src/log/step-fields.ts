/**
 * The few fields of a step line that lanes need (t, action, oracle and
 * whether the action was refused or replayed), read without parsing the
 * whole line: the patches, measures and info that make a line long are
 * skipped. The action and oracle values are cut out as raw JSON text;
 * callers canonicalise them. Returns null whenever the line is not in the
 * writers' field order, so the caller falls back to JSON.parse. Pure.
 */
export interface StepFields {
  readonly t: number;
  /** Raw JSON text of the action. */
  readonly action: string;
  /** Raw JSON text of the oracle action, or null when none is logged. */
  readonly oracle: string | null;
  readonly illegal: boolean;
  readonly invalid: boolean;
  readonly replayed: boolean;
}

const T_KEY = ',"t":';
const ACTION_KEY = ',"action":';
const ORACLE_KEY = ',"oracle":';
const RARE_KEYS = /"(?:illegal|invalid|replayed)":/;

/** Index just past the JSON value starting at i, or −1. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return stringEnd(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 0x22) {
        j = stringEnd(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d) break;
    j++;
  }
  return j > i ? j : -1;
}

function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 0x5c) j++;
    else if (d === 0x22) return j + 1;
  }
  return -1;
}

export function stepFields(line: string): StepFields | null {
  if (!line.startsWith('{"rollout":"')) return null;
  const idEnd = stringEnd(line, 11);
  if (idEnd < 0 || !line.startsWith(T_KEY, idEnd)) return null;
  let p = idEnd + T_KEY.length;
  let t = 0;
  const digits = p;
  while (p < line.length) {
    const d = line.charCodeAt(p) - 48;
    if (d < 0 || d > 9) break;
    t = t * 10 + d;
    p++;
  }
  if (p === digits || p - digits > 15 || !line.startsWith(ACTION_KEY, p)) return null;
  const aStart = p + ACTION_KEY.length;
  const aEnd = valueEnd(line, aStart);
  if (aEnd < 0) return null;
  let oracle: string | null = null;
  if (line.startsWith(ORACLE_KEY, aEnd)) {
    const oStart = aEnd + ORACLE_KEY.length;
    const oEnd = valueEnd(line, oStart);
    if (oEnd < 0) return null;
    oracle = line.slice(oStart, oEnd);
  }
  // These keys are rare; their presence anywhere sends the line to the full parser,
  // so a value that merely contains the text never sets a flag wrongly.
  if (RARE_KEYS.test(line)) return null;
  return { t, action: line.slice(aStart, aEnd), oracle, illegal: false, invalid: false, replayed: false };
}
