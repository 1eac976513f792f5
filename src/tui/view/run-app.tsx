/** Mount the replay app full-screen (alternate screen) and resolve when the user quits. */
import { render } from 'ink';
import { HotmessError } from '../../core/index.js';
import type { ReplayModel } from '../model/replay-model.js';
import { ReplayApp, type FollowOptions } from './App.js';
import type { NavState } from './nav.js';

export interface ReplayAppOptions {
  /** Open this group (AGENT:HORIZON:INSTANCE) instead of the overview. */
  readonly group?: string;
  readonly failedOnly?: boolean;
  readonly divergentOnly?: boolean;
  /** How a run still `running` is followed (spend so far, poll interval). */
  readonly follow?: FollowOptions;
}

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?1049l';

export async function runReplayApp(model: ReplayModel, opts: ReplayAppOptions = {}): Promise<void> {
  const initial: Partial<NavState> = { failedOnly: opts.failedOnly === true, divergentOnly: opts.divergentOnly === true };
  if (opts.group !== undefined) {
    const i = model.groups.findIndex((g) => g.key === opts.group);
    if (i < 0) {
      throw new HotmessError('usage', `--group ${opts.group}: no such group in ${model.dir} (groups are AGENT:HORIZON:INSTANCE, e.g. ${model.groups[0]?.key ?? 'none'})`);
    }
    Object.assign(initial, { screen: 'group', group: i });
  }
  process.stdout.write(ENTER_ALT);
  try {
    const app = render(<ReplayApp model={model} initial={initial} follow={opts.follow} />, { exitOnCtrlC: true });
    await app.waitUntilExit();
  } finally {
    process.stdout.write(LEAVE_ALT);
  }
}
