/**
 * Display columns, not UTF-16 code units: "p̂" is two code units and one
 * column, "─" one of each, a CJK character two columns. Tables are aligned
 * and fitted to a terminal by these widths. Pure.
 */

const COMBINING = /\p{M}|\u200d|[\ufe00-\ufe0f]/u;

/** East Asian wide and fullwidth ranges, plus the emoji planes: two columns. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** The number of terminal columns `s` occupies (no escape sequences expected). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    if (COMBINING.test(ch)) continue;
    w += isWide(ch.codePointAt(0)!) ? 2 : 1;
  }
  return w;
}

export const padEndCols = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));
export const padStartCols = (s: string, width: number): string => ' '.repeat(Math.max(0, width - displayWidth(s))) + s;

/** `s` cut to at most `width` columns, ending in "…" when cut. */
export function truncateCols(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = COMBINING.test(ch) ? 0 : isWide(ch.codePointAt(0)!) ? 2 : 1;
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}
