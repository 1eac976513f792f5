/** The selected rollout at the cursor step: observation, action and oracle, state change, reward, model call. */
import { Box, Text } from 'ink';
import type { IndexedRollout } from '../model/run-index.js';
import type { ObservationView } from '../model/replay-model.js';
import type { CallInfo } from '../model/step-info.js';
import { cut } from '../model/format.js';
import { actionText, shortJson } from '../model/patches.js';
import type { StepRecord } from '../../log/index.js';

export interface DetailProps {
  readonly rollout: IndexedRollout;
  readonly t: number;
  readonly record: StepRecord | null;
  /** null while being re-derived. */
  readonly observation: ObservationView | null;
  readonly changes: readonly string[];
  readonly call: CallInfo | null;
  readonly width: number;
  readonly height: number;
}

const same = (a: unknown, b: unknown) => shortJson(a, 1e6) === shortJson(b, 1e6);

export function Detail({ rollout: r, t, record, observation, changes, call, width, height }: DetailProps) {
  const outcome = r.termination === 'error' ? `error: ${r.error ?? ''}` : `${r.termination} · ${r.success ? 'success' : 'failed'}`;
  const lines: { text: string; color?: string; bold?: boolean }[] = [];
  lines.push({ text: `── ${r.id} · step ${t} · ${outcome} · return ${r.return ?? '—'} `.padEnd(width, '─'), bold: true });
  if (!record) lines.push({ text: `(no step ${t}: the rollout ended after ${r.steps} steps)`, color: 'gray' });
  else {
    const oracle = record.oracle === undefined ? 'oracle —' : `oracle ${actionText(record.oracle, 40)} ${same(record.oracle, record.action) ? '✓' : '✗'}`;
    const refused = record.illegal ? `  illegal: ${record.illegal}` : record.invalid ? `  invalid: ${record.invalid}` : '';
    lines.push({ text: `action ${actionText(record.action, 40)}   ${oracle}   reward ${record.reward ?? '—'}${refused}`, color: refused ? 'red' : undefined });
    lines.push({ text: `state: ${changes.length > 0 ? changes.join(' · ') : record.patches === undefined ? 'changes not logged' : 'unchanged'}` });
    if (record.measure !== undefined) lines.push({ text: `measure ${shortJson(record.measure)}  target ${shortJson(record.target)}`, color: 'gray' });
    if (call && (call.tokens || call.latency)) lines.push({ text: `model call: ${[call.tokens && `tokens ${call.tokens}`, call.latency && `latency ${call.latency}`].filter(Boolean).join(' · ')}` });
    if (call?.text) lines.push({ text: `model text: ${call.text.replace(/\s+/g, ' ')}` });
    if (call && call.other.length > 0) lines.push({ text: `info: ${call.other.join(' ')}`, color: 'gray' });
    if (observation === null) lines.push({ text: 'observation: re-deriving…', color: 'gray' });
    else if (observation.text === null) lines.push({ text: `observation: ${observation.note}`, color: 'gray' });
    else {
      const how = observation.source === 'logged' ? 'logged' : observation.hashMatches === false ? 're-derived; DIFFERS from the logged hash' : observation.hashMatches ? 're-derived, matches the logged hash' : 're-derived';
      lines.push({ text: `observation (${how}):`, color: observation.hashMatches === false ? 'red' : 'gray' });
      for (const l of observation.text.split('\n')) lines.push({ text: '  ' + l });
    }
  }
  const shown = lines.slice(0, Math.max(1, height));
  return (
    <Box flexDirection="column">
      {shown.map((l, i) => (
        <Text key={i} color={l.color} bold={l.bold} wrap="truncate-end">
          {cut(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
