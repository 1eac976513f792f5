/** A group's rollouts as lanes aligned by step, with the cursor column and divergence markers. */
import { Box, Text } from 'ink';
import type { LaneWindow } from './layout.js';
import { CELL_COLOR } from './theme.js';

export interface LanesProps {
  readonly window: LaneWindow;
  readonly t: number;
  readonly firstDivergence: number | null;
  readonly divergenceSteps: ReadonlySet<number>;
}

const STATUS = { ok: { mark: '✓', color: 'green' }, fail: { mark: '✗', color: 'red' }, error: { mark: '!', color: 'magenta' } } as const;

export function Lanes({ window: w, t, firstDivergence, divergenceSteps }: LanesProps) {
  const cw = w.cellWidth;
  const pad = (s: string) => (s.length > cw ? s.slice(0, cw - 1) + '…' : s.padEnd(cw));
  const blank = ' '.repeat(w.titleWidth);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {blank}
        {w.columns.map((c) => (
          <Text key={c} color={c === firstDivergence ? 'red' : 'yellow'} bold={c === firstDivergence}>
            {pad(c === firstDivergence ? '▼' : divergenceSteps.has(c) ? '╷' : ' ') + ' '}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate-end">
        {'t'.padStart(w.titleWidth - 1) + ' '}
        {w.columns.map((c) => (
          <Text key={c} inverse={c === t} bold={c === t} color={c === t ? undefined : 'gray'}>
            {pad(String(c))}
            {' '}
          </Text>
        ))}
      </Text>
      {w.hiddenAbove > 0 ? <Text color="gray">{blank}↑ {w.hiddenAbove} more</Text> : null}
      {w.rows.map((r) => {
        const st = STATUS[r.status];
        return (
          <Text key={r.lane} wrap="truncate-end">
            <Text bold={r.selected}>{(r.selected ? '▸ ' : '  ') + r.title.padEnd(w.titleWidth - 5) + ' '}</Text>
            <Text color={st.color}>{st.mark}</Text>
            {' '}
            {r.cells.map((c, k) => {
              const col = w.columns[k];
              return (
                <Text key={col} color={CELL_COLOR[c.kind]} inverse={r.selected && col === t} underline={!r.selected && col === t}>
                  {pad(c.label + (c.refused ? '!' : ''))}
                  {' '}
                </Text>
              );
            })}
          </Text>
        );
      })}
      {w.hiddenBelow > 0 ? <Text color="gray">{blank}↓ {w.hiddenBelow} more</Text> : null}
      {w.rows.length === 0 ? <Text color="gray">{blank}(no rollout passes the filter)</Text> : null}
    </Box>
  );
}
