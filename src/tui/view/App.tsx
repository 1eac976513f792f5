/**
 * The replay app: holds the navigation state, loads the open group and the
 * selected step's detail, and draws snapshots with the view components.
 * Keys are read only when stdin supports raw mode; otherwise the first
 * screen is drawn once and the app ends (it never waits on a missing TTY).
 */
import { Box, Text, useApp, useInput, useStdin, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { GroupData } from '../model/group-data.js';
import { loadAnalysis, overviewRows, type AnalysisState } from '../model/overview.js';
import type { ReplayModel, StepView } from '../model/replay-model.js';
import { Help } from './Help.js';
import { commandFor } from './keys.js';
import { GroupScreen } from './GroupScreen.js';
import { initialNav, reduce, settle, type NavState } from './nav.js';
import { Overview } from './Overview.js';
import { useTerminalSize } from './use-terminal-size.js';
import { errorLine } from '../../core/index.js';

export interface ReplayAppProps {
  readonly model: ReplayModel;
  readonly initial?: Partial<NavState>;
  /** Supply the analysis instead of reading/computing it (tests). */
  readonly analysis?: AnalysisState;
  /** How a run that is still `running` is followed. */
  readonly follow?: FollowOptions;
}

export interface FollowOptions {
  /** How often to look for newly committed rollouts (default 1000 ms). */
  readonly intervalMs?: number;
  /** Spend so far, for model-backed runs (the CLI reads the run's cost ledger); null when there is none. */
  readonly spend?: () => string | null;
}

/** Keep the open group and the overview row on the same group and cell when the run grows. */
export function remapNav(s: NavState, from: ReplayModel, to: ReplayModel): NavState {
  const key = from.groups[s.group]?.key;
  const group = key === undefined ? -1 : to.groups.findIndex((g) => g.key === key);
  const cell = from.cells[s.row];
  const row = cell ? to.cells.findIndex((c) => c.agent === cell.agent && c.horizon === cell.horizon) : -1;
  return { ...s, group: group < 0 ? s.group : group, row: row < 0 ? s.row : row };
}

/** A key event with no special key: for characters split out of a chunk. */
const NO_KEY = {} as Key;


export function ReplayApp(props: ReplayAppProps) {
  const { columns } = useTerminalSize();
  return (
    <Box width={columns} flexDirection="column">
      <ReplayScreens {...props} />
    </Box>
  );
}

function ReplayScreens({ model: opened, initial, analysis: givenAnalysis, follow }: ReplayAppProps) {
  const { exit } = useApp();
  const [model, setModel] = useState(opened);
  const [spend, setSpend] = useState<string | null>(() => follow?.spend?.() ?? null);
  const { isRawModeSupported } = useStdin();
  const { columns, rows } = useTerminalSize();
  const [nav, setNav] = useState<NavState>(() => initialNav(initial));
  const [data, setData] = useState<GroupData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [analysis, setAnalysis] = useState<AnalysisState>(givenAnalysis ?? { status: 'loading', note: 'analysing the run…' });
  const [view, setView] = useState<{ key: string; view: StepView | null } | null>(null);

  const ref = model.groups[nav.group] ?? null;
  const current = data && ref && data.ref.key === ref.key ? data : null;
  const currentRef = useRef<GroupData | null>(null);
  currentRef.current = current;

  useEffect(() => {
    if (givenAnalysis) return;
    let live = true;
    void loadAnalysis(model.dir, { cache: model.usesCache }).then((a) => live && setAnalysis(a));
    return () => {
      live = false;
    };
  }, [model, givenAnalysis]);

  // A run still being written is followed: reopened when rollouts commit, the
  // open group and row kept by key; the analysis below follows the model.
  useEffect(() => {
    if (!model.live) return;
    let live = true;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      if (follow?.spend) setSpend(follow.spend());
      if (!model.hasChanged()) return;
      busy = true;
      model.reopen().then(
        (next) => {
          if (!live) return;
          setNav((s) => remapNav(s, model, next));
          setModel(next);
        },
        (e) => live && setError(errorLine(e)),
      );
    }, follow?.intervalMs ?? 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [model]);

  useEffect(() => {
    if (nav.screen !== 'group' || !ref) return;
    let live = true;
    model.group(ref.key).then(
      (d) => {
        if (!live) return;
        setData(d);
        setNav((s) => settle(s, d));
      },
      (e) => live && setError(errorLine(e)),
    );
    return () => {
      live = false;
    };
  }, [model, ref, nav.screen]);

  useInput(
    (input, key) => {
      // Keys pressed fast may arrive as one chunk ("nn"): one command per character.
      const cmds = input.length > 1 && !key.ctrl && !key.meta ? [...input].map((ch) => commandFor(ch, NO_KEY)) : [commandFor(input, key)];
      for (const cmd of cmds) if (cmd) setNav((s) => reduce(s, cmd, { cells: model.cells, groups: model.groups, data: currentRef.current }));
    },
    { isActive: isRawModeSupported === true },
  );

  useEffect(() => {
    if (nav.quit) exit();
  }, [nav.quit, exit]);
  useEffect(() => {
    // Without raw mode no key can arrive: draw once and end instead of hanging.
    if (isRawModeSupported !== true) {
      const timer = setTimeout(() => exit(), 0);
      return () => clearTimeout(timer);
    }
  }, [isRawModeSupported, exit]);

  const lane = current && nav.screen === 'group' ? (current.lanes[nav.lane] ?? null) : null;
  const detailKey = current && lane ? `${current.ref.key}|${nav.lane}|${nav.t}` : null;
  const read = useMemo(() => {
    if (!current || !lane) return { record: null, error: null };
    try {
      return { record: model.readStep(lane, nav.t), error: null };
    } catch (e) {
      return { record: null, error: errorLine(e) };
    }
  }, [detailKey]);
  const record = read.record;
  useEffect(() => {
    if (!detailKey || !current || !lane) return;
    const ac = new AbortController();
    model.stepView(current, lane, nav.t, ac.signal).then(
      (v) => !ac.signal.aborted && setView({ key: detailKey, view: v }),
      (e) => !ac.signal.aborted && setError(errorLine(e)),
    );
    return () => ac.abort();
  }, [detailKey]);

  const m = model.manifest;
  const following = model.live ? ' · following a running run' : opened.live ? ` · run ${m.status}` : '';
  // What changes while following comes first: a narrow terminal cuts the end of the line.
  const title = `hotmess replay · ${m.name} · ${m.environment.name}${following}${spend && model.live ? ` · ${spend}` : ''} · ${model.index.rollouts.length} rollouts · ${model.groups.length} groups · ${model.index.stepLines} steps`;
  const keysNote = isRawModeSupported === true ? null : 'stdin is not a terminal: keys are off (use --plain for text)';
  const problem = error ?? read.error;
  const status = problem ? <Text color="red">{`error: ${problem}`}</Text> : keysNote ? <Text color="yellow">{keysNote}</Text> : null;

  if (nav.help)
    return (
      <Box flexDirection="column">
        <Help />
        {status}
      </Box>
    );

  if (nav.screen === 'overview') {
    const doc = analysis.status === 'ready' ? analysis.doc : null;
    return (
      <Box flexDirection="column">
        <Overview title={title} rows={overviewRows(model.cells, doc)} selected={nav.row} note={analysis.note} width={columns} height={rows - 2} />
        {status}
      </Box>
    );
  }

  if (!ref) return <Text>no groups in this run</Text>;
  const header = `group ${ref.key} (${nav.group + 1}/${model.groups.length}) · ${ref.members.length} rollouts`;
  if (!current)
    return (
      <Box flexDirection="column">
        <Text bold>{header}</Text>
        <Text color="gray">loading the group's steps…</Text>
        {status}
      </Box>
    );

  return (
    <Box flexDirection="column">
      <GroupScreen data={current} nav={nav} position={`(${nav.group + 1}/${model.groups.length})`} record={record} view={view && view.key === detailKey ? view.view : null} width={columns} height={rows} />
      {status}
    </Box>
  );
}
