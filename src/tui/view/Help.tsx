/** The `?` screen: every key, from the same table that handles them. */
import { Box, Text } from 'ink';
import { HELP_LINES } from './keys.js';
import { CELL_COLOR, LEGEND } from './theme.js';

export function Help() {
  const w = Math.max(...HELP_LINES.map((l) => l.keys.length));
  return (
    <Box flexDirection="column">
      <Text bold>keys</Text>
      {HELP_LINES.map((l) => (
        <Text key={l.keys}>
          {'  '}
          <Text bold>{l.keys.padEnd(w)}</Text>
          {'  '}
          {l.help}
        </Text>
      ))}
      <Text> </Text>
      <Text bold>cells</Text>
      {LEGEND.map((l) => (
        <Text key={l.kind}>
          {'  '}
          <Text color={CELL_COLOR[l.kind]}>■</Text> {l.text}
        </Text>
      ))}
      <Text>
        {'  '}! the environment refused the action · ▼ first divergence · ╷ later divergence (rollouts that agreed so far split)
      </Text>
      <Text> </Text>
      <Text color="gray">? or Esc closes this help</Text>
    </Box>
  );
}
