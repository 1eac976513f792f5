/**
 * End to end in a real terminal: the CLI runs inside tmux (160×50), keys go
 * in with send-keys and the screen comes back with capture-pane. Every
 * check polls the screen until the expected text appears (bounded), so
 * timing never decides a result. Runs come from the real engine.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../environments/index.js';
import { instanceRng } from '../../src/engine/index.js';
import { ReplayModel } from '../../src/tui/index.js';
import { CLI, readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { groupSequences, makeMazeRun, splitSteps, waitFor } from './helpers.js';

const SOCKET = `hotmess-tui-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Start `hotmess ARGS` in a new 160×50 session; the shell prints EXIT=<code> when it ends. */
function start(session: string, args: string[]): void {
  // A person's terminal: not CI (replay is plain text in CI).
  const cmd = `cd ${quote(process.cwd())} && env -u CI ${CLI.map(quote).join(' ')} ${args.map(quote).join(' ')}; echo "EXIT=$?"; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '50', cmd);
}
const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);
const waitScreen = (session: string, text: string | RegExp, ms = 30_000) =>
  waitFor(() => {
    const s = screen(session);
    return (typeof text === 'string' ? s.includes(text) : text.test(s)) ? s : undefined;
  }, `${text} on the tmux screen`, ms).catch((e: Error) => {
    throw new Error(`${e.message}\n--- screen ---\n${screen(session)}`);
  });
const keys = (session: string, ...k: string[]) => tmux('send-keys', '-t', session, ...k);

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // Already gone.
  }
});

describe('replay in tmux', () => {
  let dir: string;
  let splits: number[];
  beforeAll(async () => {
    dir = await makeMazeRun();
    splits = splitSteps(groupSequences(dir, 'noisy:6:0'));
  });

  it('opens the overview, a group, and answers →, n, ↓, ?, q', async () => {
    const next = splits.find((s) => s > 2);
    expect(next, 'the run needs a divergence after t=2').toBeDefined();
    start('replay', ['replay', dir]);
    await waitScreen('replay', 'survival S(t)');
    await waitScreen('replay', /noisy .*[▁▂▃▄▅▆▇█]/);
    keys('replay', 'Down');
    await waitScreen('replay', '▸ noisy');
    keys('replay', 'Enter');
    // The detail's observation is re-derived after the lanes are drawn.
    let s = await waitScreen('replay', /t=1\/6[^]*matches the logged hash/);
    expect(s).toContain('group noisy:6:0');
    expect(s).toContain(`first divergence t=${splits[0]}`);
    keys('replay', 'Right');
    await waitScreen('replay', 't=2/6');
    keys('replay', 'n');
    s = await waitScreen('replay', `t=${next}/6`);
    keys('replay', 'Down');
    s = await waitScreen('replay', '▸ r1');
    expect(s).toContain(`noisy:6:0:1 · step ${next}`);
    keys('replay', '?');
    s = await waitScreen('replay', 'next / previous divergence step');
    expect(s).toContain('q  ');
    keys('replay', 'q');
    await waitScreen('replay', 'EXIT=0');
  });
});

describe('play in tmux', () => {
  it('shows the maze rules whole and its map one row per line (regression: the map was packed onto one line, the rules cut)', async () => {
    const env = ENVIRONMENTS.maze;
    const text = env.instructions!(env.reset(env.params.parse({}), 6, instanceRng(3, 6, 0)));
    const [rules, ...map] = text.split('\n');
    start('maze-rules', ['play', 'maze', '--horizon', '6', '--seed', '3', '--out', join(tempDir(), 'played')]);
    const s = await waitScreen('maze-rules', 'step 1/6');
    const lines = s.split('\n').map((l) => l.trimEnd());
    const at = lines.findIndex((l) => l.startsWith('── instructions'));
    const mapAt = lines.indexOf(map[0]);
    expect(mapAt).toBeGreaterThan(at);
    // The rules wrap over the rows between the rule line and the map, and read as the model reads them.
    expect(lines.slice(at + 1, mapAt).join(' ')).toBe(rules);
    expect(lines.slice(mapAt, mapAt + map.length)).toEqual(map);
    keys('maze-rules', 'Escape');
    await waitScreen('maze-rules', 'EXIT=130');
  });


  it('plays a maze with the keyboard and writes a run replay reads', async () => {
    const env = ENVIRONMENTS.maze;
    const params = env.params.parse({});
    const state = env.reset(params, 3, instanceRng(5, 3, 0));
    const letters = ['N', 'E', 'S', 'W'];
    // A first move off the oracle's path, so the goal (3 steps away) cannot be reached early.
    const first = letters.findIndex((a) => a !== env.oracle(state));
    const out = join(tempDir(), 'played');
    start('play', ['play', 'maze', '--horizon', '3', '--seed', '5', '--out', out]);
    let s = await waitScreen('play', 'step 1/3');
    expect(s).toContain('You are at (');
    expect(s).toContain('1 N');
    keys('play', String(first + 1));
    await waitScreen('play', 'step 2/3');
    keys('play', 'Down');
    await waitScreen('play', '▸ 2 E');
    keys('play', 'Enter');
    s = await waitScreen('play', 'step 3/3');
    expect(s).toContain('last step: "E"');
    keys('play', '3');
    s = await waitScreen('play', 'EXIT=0');
    expect(s).toContain(`run written to ${out}`);
    const steps = readJsonlFile<{ action: string }>(join(out, 'steps.jsonl'));
    expect(steps.map((x) => x.action)).toEqual([letters[first], 'E', 'S']);
    const model = await ReplayModel.open(out);
    expect(model.manifest.agents).toEqual([{ name: 'human', kind: 'human', params: {} }]);
    expect(model.groups.map((g) => g.key)).toEqual(['human:3:0']);
  });
});
