/**
 * Fit the instructions an LLM reads onto the play screen without changing
 * what they say: a run of `key: value` dictionary lines (kv-sum's 64-word
 * dictionary) is laid out in columns; every other line (prose, a maze's map
 * rows) keeps its own row, and a line wider than the panel wraps, never cut.
 * Pure.
 */

/** Fewest consecutive entries worth packing into columns. */
const MIN_RUN = 4;
/** A dictionary entry is short: `word: value`, nothing more. */
const MAX_ENTRY = 32;
const ENTRY = /^[^\s:]+: \S/;

/** A `key: value` dictionary line: one word, a colon, a value, short. Map rows and prose are not. */
export const isEntry = (l: string): boolean => l.length <= MAX_ENTRY && ENTRY.test(l);

/**
 * Break one line into rows of at most `width` characters: at spaces where it
 * can, mid-word only when a word alone is wider than the panel. Nothing is
 * dropped except the spaces a break replaces.
 */
export function wrapLine(line: string, width: number): string[] {
  const w = Math.max(1, width);
  if (line.length <= w) return [line];
  const rows: string[] = [];
  let rest = line;
  while (rest.length > w) {
    const space = rest.lastIndexOf(' ', w);
    if (space > 0) {
      rows.push(rest.slice(0, space).trimEnd());
      rest = rest.slice(space + 1);
    } else {
      rows.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
  }
  if (rest.length > 0) rows.push(rest);
  return rows;
}

/** Lay a run of entries out column-major in as few rows as fit the width. */
function packRun(run: readonly string[], width: number): string[] {
  const colWidth = Math.max(...run.map((l) => l.length)) + 3;
  const cols = Math.max(1, Math.floor((width + 3) / colWidth));
  const height = Math.ceil(run.length / cols);
  const rows: string[] = [];
  for (let r = 0; r < height; r++) {
    let row = '';
    for (let c = 0; c < cols; c++) {
      const l = run[c * height + r];
      if (l !== undefined) row += l.padEnd(colWidth);
    }
    rows.push(row.trimEnd());
  }
  return rows;
}

/**
 * The text as rows of at most `width` characters, the first `maxRows` of
 * them, and how many more there are. Every character of the text is in
 * some row (wrapping drops only break spaces).
 */
export function packLines(text: string, width: number, maxRows: number): { rows: string[]; hidden: number } {
  const lines = text.split('\n');
  const rows: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j < lines.length && isEntry(lines[j])) j++;
    if (j - i >= MIN_RUN) {
      for (const r of packRun(lines.slice(i, j), width)) rows.push(...wrapLine(r, width));
      i = j;
    } else {
      rows.push(...wrapLine(lines[i], width));
      i++;
    }
  }
  const keep = Math.max(0, maxRows);
  return rows.length > keep ? { rows: rows.slice(0, keep), hidden: rows.length - keep } : { rows, hidden: 0 };
}
