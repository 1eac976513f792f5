/** The run overview: agents × horizons with incoherence, bias², variance and the survival sparkline. */
import { Box, Text } from 'ink';
import { fmt } from '../../analysis/index.js';
import { cut, sparkline } from '../model/format.js';
import type { OverviewRow } from '../model/overview.js';

export interface OverviewProps {
  readonly title: string;
  readonly rows: readonly OverviewRow[];
  readonly selected: number;
  /** Shown under the title (e.g. "analysing…"), when set. */
  readonly note: string | null;
  readonly width: number;
  readonly height: number;
}

const HEADER = ['agent', 'H', 'groups×N', 'failed', 'errored', 'incoherence', 'bias²', 'variance'];
const SPARK = 'survival S(t)';

export function Overview({ title, rows, selected, note, width, height }: OverviewProps) {
  const cells = rows.map((r) => [r.agent, String(r.horizon), `${r.groups}×${Math.round(r.rollouts / Math.max(1, r.groups))}`, String(r.failed), String(r.errored), fmt(r.incoherence), fmt(r.biasSq), fmt(r.variance)]);
  const widths = HEADER.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: readonly string[]) => c.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('  ');
  const used = widths.reduce((a, b) => a + b + 2, 0);
  const sparkWidth = Math.max(8, Math.min(40, width - used - 4));
  const fit = Math.max(1, height - 5);
  const top = Math.max(0, Math.min(selected - Math.floor(fit / 2), rows.length - fit));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {cut(title, width)}
      </Text>
      <Text color="gray" wrap="truncate-end">
        {note ?? ' '}
      </Text>
      <Text bold wrap="truncate-end">
        {'  '}
        {line(HEADER)}
        {'  '}
        {SPARK}
      </Text>
      {rows.slice(top, top + fit).map((r, k) => {
        const i = top + k;
        const sel = i === selected;
        return (
          <Text key={`${r.agent}:${r.horizon}`} inverse={sel} wrap="truncate-end">
            {sel ? '▸ ' : '  '}
            {line(cells[i])}
            {'  '}
            <Text color="cyan">{r.survival.length > 0 ? sparkline(r.survival, sparkWidth) : '—'}</Text>
          </Text>
        );
      })}
      <Text color="gray" wrap="truncate-end">
        {rows.length > fit ? `${rows.length} rows · ` : ''}↑/↓ choose · Enter open the row's groups · ? help · q quit
      </Text>
    </Box>
  );
}
