/**
 * The play screen: the instance's instructions, the observation text an LLM
 * would see, the last step's result, and the legal actions to choose from
 * (or a field to type a numeric action into, checked against the space's
 * schema before it is sent). Keys are read only with raw-mode stdin.
 */
import { Box, Text, useInput, useStdin } from 'ink';
import { useRef, useState, useSyncExternalStore } from 'react';
import { canonicalJson } from '../../core/index.js';
import { cut } from '../model/format.js';
import { shortJson } from '../model/patches.js';
import { useTerminalSize } from '../view/use-terminal-size.js';
import type { TurnChannel } from './channel.js';
import { packLines, wrapLine } from './pack.js';
import { actionKey, indexOfKey, parseTyped, pickDiscrete, ACTION_KEYS } from './parse-action.js';

export interface PlayAppProps {
  readonly channel: TurnChannel;
  readonly title: string;
  readonly horizon: number;
  readonly rollouts: number;
  readonly instructions: string | null;
  /** The person asked to stop (Esc or Ctrl-C). */
  readonly onQuit: () => void;
}

export function PlayApp(props: PlayAppProps) {
  const { columns } = useTerminalSize();
  return (
    <Box width={columns} flexDirection="column">
      <PlayScreen {...props} />
    </Box>
  );
}

function PlayScreen({ channel, title, horizon, rollouts, instructions, onQuit }: PlayAppProps) {
  const { isRawModeSupported } = useStdin();
  const { columns, rows } = useTerminalSize();
  const { turn } = useSyncExternalStore(channel.subscribe, channel.snapshot);
  const [selected, setSelectedState] = useState(0);
  const [typed, setTypedState] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  // The key handler reads the latest values through a ref: keys can arrive
  // before React has re-subscribed a handler that closes over new state.
  const live = useRef({ selected: 0, typed: '' });
  const setSelected = (v: number) => {
    live.current.selected = v;
    setSelectedState(v);
  };
  const setTyped = (v: string) => {
    live.current.typed = v;
    setTypedState(v);
  };

  const submit = (parsed: ReturnType<typeof parseTyped>) => {
    if (!parsed.ok) return setProblem(parsed.reason);
    setProblem(null);
    setTyped('');
    setSelected(0);
    channel.answer(parsed.action);
  };

  useInput(
    (input, key) => {
      if (key.escape || (key.ctrl && input === 'c')) return onQuit();
      const current = channel.snapshot().turn;
      const space = current?.legal;
      // ? and q are commands wherever they cannot be part of an action: always with a list to pick from.
      if (input === '?' && space?.kind !== 'continuous') return setHelp((h) => !h);
      if (input === 'q' && space?.kind !== 'continuous') return onQuit();
      if (!current || !space) return;
      const { selected: sel, typed: text0 } = live.current;
      if (space.kind === 'discrete') {
        const n = space.actions.length;
        if (key.upArrow) setSelected((sel + n - 1) % n);
        else if (key.downArrow) setSelected((sel + 1) % n);
        else if (key.return || input === '\r' || input === '\n') submit(pickDiscrete(space, Math.min(sel, n - 1)));
        else {
          const i = indexOfKey(input);
          if (i !== null) submit(pickDiscrete(space, i));
        }
        return;
      }
      if (key.return) return submit(parseTyped(space, text0));
      if (key.backspace || key.delete) return setTyped(text0.slice(0, -1));
      if (key.ctrl || key.meta) return;
      // Keys typed fast arrive as one chunk: apply them one by one.
      let text = text0;
      for (const ch of input) {
        if (ch === '\r' || ch === '\n') return submit(parseTyped(space, text));
        if (ch === '\x7f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
      setProblem(null);
      setTyped(text);
    },
    { isActive: isRawModeSupported === true },
  );

  const width = Math.max(20, columns);
  if (!turn)
    return (
      <Box flexDirection="column">
        <Text bold>{cut(title, width)}</Text>
        <Text color="gray">waiting for the environment…</Text>
      </Box>
    );

  if (help) return <PlayHelp width={width} numeric={turn.legal.kind === 'continuous'} />;

  const t = turn.history.length + 1;
  const last = turn.history[turn.history.length - 1];
  const space = turn.legal;
  const listRows = space.kind === 'discrete' ? Math.min(space.actions.length, Math.max(3, Math.floor(rows / 3))) : 2;
  // The observation is shown whole, wrapped: the person sees what the LLM reads.
  const obsLines = turn.observation.text.split('\n').flatMap((l) => wrapLine(l, width));
  const lastRows = last ? wrapLine(`last step: ${shortJson(last.action, 40)} · reward ${last.reward}${last.feedback ? ` · refused: ${last.feedback}` : ''}`, width) : [];
  // Besides the instructions: the title, three rules, "… more lines", the problem and raw-mode notes, and a spare row.
  const instrBudget = Math.max(2, rows - 8 - lastRows.length - obsLines.length - listRows);
  const packed = instructions ? packLines(instructions, width, instrBudget) : null;
  const rule = (label: string) => `── ${label} `.padEnd(width, '─');
  const top = space.kind === 'discrete' ? Math.max(0, Math.min(selected - Math.floor(listRows / 2), space.actions.length - listRows)) : 0;

  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {title} · rollout {turn.rollout.index + 1}/{rollouts} · step {t}/{horizon} · {space.kind === 'discrete' ? '? help · q quits' : 'Esc quits'}
      </Text>
      {packed ? (
        <>
          <Text color="gray">{rule('instructions')}</Text>
          {packed.rows.map((r, i) => (
            <Text key={i} wrap="truncate-end">
              {r}
            </Text>
          ))}
          {packed.hidden > 0 ? <Text color="gray">… {packed.hidden} more lines</Text> : null}
        </>
      ) : null}
      {lastRows.map((r, i) => (
        <Text key={i} color={last?.feedback ? 'red' : 'green'}>
          {r}
        </Text>
      ))}
      <Text color="gray">{rule('observation')}</Text>
      {obsLines.map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
      <Text color="gray">{rule(space.kind === 'discrete' ? 'your action: ↑/↓ and Enter, or its key' : `your action: ${space.description}; type it, Enter sends`)}</Text>
      {space.kind === 'discrete' ? (
        space.actions.slice(top, top + listRows).map((a, k) => {
          const i = top + k;
          return (
            <Text key={canonicalJson(a)} inverse={i === selected} wrap="truncate-end">
              {i === selected ? '▸ ' : '  '}
              {`${actionKey(i) ?? ' '} `}
              {typeof a === 'string' ? a : canonicalJson(a)}
            </Text>
          );
        })
      ) : (
        <Text>
          {'> '}
          {typed}
          <Text inverse> </Text>
        </Text>
      )}
      {problem ? <Text color="red">{cut(problem, width)}</Text> : null}
      {isRawModeSupported === true ? null : <Text color="yellow">stdin is not a terminal: keys are off</Text>}
    </Box>
  );
}

/** What every key does in play, toggled with ?. */
function PlayHelp({ width, numeric }: { width: number; numeric: boolean }) {
  const lines = numeric
    ? [['type', 'the action (JSON, checked against the space before it is sent)'], ['Enter', 'send it'], ['Backspace', 'delete a character'], ['Esc / Ctrl-C', 'quit (the run so far is kept)']]
    : [
        ['↑ / ↓', 'choose an action'],
        ['Enter', 'take the chosen action'],
        [`${ACTION_KEYS[0]}–${ACTION_KEYS[8]}, ${ACTION_KEYS[9]}–${ACTION_KEYS[ACTION_KEYS.length - 1]}`, 'take the action with that key (q is skipped)'],
        ['?', 'this help (toggle)'],
        ['q / Esc / Ctrl-C', 'quit (the run so far is kept)'],
      ];
  return (
    <Box flexDirection="column">
      <Text bold>{cut('hotmess play · keys', width)}</Text>
      {lines.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          {k.padEnd(18)}
          {what}
        </Text>
      ))}
      <Text color="gray">press ? to go back</Text>
    </Box>
  );
}
