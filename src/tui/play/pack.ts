/**
 * Lay short lines out in columns to fit a panel (a dictionary of 64
 * `word: value` lines becomes a few rows). Long lines stay whole, on rows
 * of their own. Pure.
 */
export function packLines(text: string, width: number, maxRows: number): { rows: string[]; hidden: number } {
  const lines = text.split('\n');
  const rows: string[] = [];
  let i = 0;
  while (i < lines.length) {
    // A run of short lines is packed column-major into as few rows as fit.
    let j = i;
    while (j < lines.length && isEntry(lines[j])) j++;
    if (j - i >= 4) {
      const run = lines.slice(i, j);
      const colWidth = Math.max(...run.map((l) => l.length)) + 3;
      const cols = Math.max(1, Math.floor(width / colWidth));
      const height = Math.ceil(run.length / cols);
      for (let r = 0; r < height; r++) {
        let row = '';
        for (let c = 0; c < cols; c++) {
          const l = run[c * height + r];
          if (l !== undefined) row += l.padEnd(colWidth);
        }
        rows.push(row.trimEnd());
      }
      i = j;
    } else {
      rows.push(lines[i]);
      i++;
    }
  }
  return rows.length > maxRows ? { rows: rows.slice(0, maxRows), hidden: rows.length - maxRows } : { rows, hidden: 0 };
}

/** A short entry line (`word: 12`); a heading ending in ':' is not one. */
const isEntry = (l: string): boolean => l.length > 0 && l.length <= 24 && !l.trimEnd().endsWith(':');
