/** One group on screen: its summary line, the lanes around the cursor, and the detail pane. */
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import type { StepRecord } from '../../log/index.js';
import { allErrored, errored, failed } from '../model/cells.js';
import { actionLegend } from '../model/format.js';
import type { GroupData } from '../model/group-data.js';
import { describePatches } from '../model/patches.js';
import type { StepView } from '../model/replay-model.js';
import { callInfo } from '../model/step-info.js';
import { Detail } from './Detail.js';
import { Lanes } from './Lanes.js';
import { laneWindow } from './layout.js';
import type { NavState } from './nav.js';

export interface GroupScreenProps {
  readonly data: GroupData;
  readonly nav: NavState;
  /** "(i/n)" position among the run's groups. */
  readonly position: string;
  readonly record: StepRecord | null;
  /** The detail's async part (observation, state change with values before), null while pending. */
  readonly view: StepView | null;
  readonly width: number;
  readonly height: number;
}

export function GroupScreen({ data, nav, position, record, view, width, height }: GroupScreenProps) {
  const detailHeight = height >= 40 ? 14 : 9;
  const w = laneWindow(data, nav, width, Math.max(2, height - detailHeight - 9));
  const div = data.divergence;
  const divSet = useMemo(() => new Set(div.steps), [div]);
  const failedN = data.lanes.filter(failed).length;
  const erroredN = data.lanes.filter(errored).length;
  const split = allErrored(data) ? 'all rollouts errored' : div.first === null ? 'no divergence' : `first divergence t=${div.first}`;
  const legend = useMemo(() => actionLegend(data.keys), [data]);
  const lane = data.lanes[nav.lane] ?? null;
  const filters = [nav.failedOnly ? 'failed or errored rollouts only' : null, nav.divergentOnly ? 'divergence steps only' : null].filter(Boolean).join(' · ');
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {/* The cursor's step first: a narrow terminal cuts the end of this line, never the step. */}
        t={nav.t}/{data.T} · group {data.ref.key} {position} · {split} · {data.lanes.length} rollouts · {failedN} failed{erroredN > 0 ? ` · ${erroredN} errored` : ''} · {div.steps.length} divergence steps
      </Text>
      <Text color="gray" wrap="truncate-end">
        {filters ? `filter: ${filters} · ` : ''}
        {legend.length > 0 ? `actions as ${legend.join(', ')} · ` : ''}←/→ step · n/p divergence · ↑/↓ rollout · [/] group · f failed · d diverging · Esc overview · ? help · q quit
      </Text>
      <Lanes window={w} t={nav.t} firstDivergence={div.first} divergenceSteps={divSet} />
      {lane ? (
        <Detail
          rollout={lane.rollout}
          t={nav.t}
          record={record}
          observation={view ? view.observation : null}
          changes={view ? view.changes : record ? describePatches(record.patches) : []}
          call={record ? callInfo(record) : null}
          width={width}
          height={detailHeight}
        />
      ) : null}
    </Box>
  );
}
