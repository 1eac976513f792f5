/**
 * Skipping JSON values in raw line bytes, for the readers that pick fields
 * out of a step line without parsing it (the replay index, analyze's fast
 * path). Both find where a value ends; neither checks more than brackets
 * and string quoting.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Index just past the string whose opening quote is at b[p], or −1 when it does not end before `end`. */
export function stringEnd(b: Uint8Array, p: number, end: number): number {
  p++;
  while (p < end) {
    const c = b[p];
    if (c === QUOTE) return p + 1;
    p += c === BACKSLASH ? 2 : 1;
  }
  return -1;
}

/** Index just past the array or object opening at b[p] (brackets matched, strings skipped), or −1. */
export function nestedEnd(b: Uint8Array, p: number, end: number): number {
  let depth = 0;
  while (p < end) {
    const d = b[p];
    if (d === QUOTE) {
      p = stringEnd(b, p, end);
      if (p < 0) return -1;
      continue;
    }
    if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return p + 1;
    p++;
  }
  return -1;
}
