/**
 * `play`: the play screen answers the human agent's turns from the keyboard
 * (discrete picks, typed numeric actions checked by the schema), a session
 * played through the real engine is a normal run directory that replay and
 * analyze read, and without a terminal the command stops with one line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import humanDefault, { humanAgent, type HumanTurn } from '../../agents/human.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import type { Action } from '../../src/core/index.js';
import { ReplayModel } from '../../src/tui/index.js';
import { TurnChannel, type Turn } from '../../src/tui/play/channel.js';
import { PlayApp } from '../../src/tui/play/PlayApp.js';
import { isEntry, packLines, wrapLine } from '../../src/tui/play/pack.js';
import { actionKey, indexOfKey, ACTION_KEYS } from '../../src/tui/play/parse-action.js';
import { ENVIRONMENTS } from '../../environments/index.js';
import { instanceRng, parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { playScenario } from '../../src/workflows/index.js';
import { hotmess } from '../helpers/cli.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { waitFor } from './helpers.js';

const KEY = { down: '\u001B[B', enter: '\r', escape: '\u001B', backspace: '\u007F' };
const rollout = { id: 'human:3:0:0', agent: 'human', horizon: 3, instance: 0, index: 0, agentSeed: 's' };

let mounted: ReturnType<typeof render> | null = null;
afterEach(() => {
  mounted?.unmount();
  mounted = null;
});

function mountPlay(onQuit: () => void = () => undefined) {
  const channel = new TurnChannel();
  const app = render(<PlayApp channel={channel} title="hotmess play · test" horizon={3} rollouts={1} instructions={'Rules:\nreach the goal'} onQuit={onQuit} />);
  mounted = app;
  const screen = (text: string) => waitFor(() => ((app.lastFrame() ?? '').includes(text) ? app.lastFrame()! : undefined), `a frame showing ${text}\n${app.lastFrame()}`);
  const ask = (turn: Omit<Turn, 'rollout'>) => {
    let answer: Action | undefined;
    void channel.choose({ ...turn, rollout }, new AbortController().signal).then((a) => (answer = a));
    return () => answer;
  };
  return { app, channel, screen, ask };
}

describe('play screen', () => {
  it('picks a discrete action with ↓ and Enter, or by its number', async () => {
    const { app, screen, ask } = mountPlay();
    const legal = { kind: 'discrete' as const, actions: ['N', 'E', 'S', 'W'] };
    let answer = ask({ observation: { data: null, text: 'You are at (0, 0).' }, legal, history: [] });
    const f = await screen('You are at (0, 0).');
    expect(f).toContain('reach the goal');
    expect(f).toContain('step 1/3');
    app.stdin.write(KEY.down);
    await screen('▸ 2 E');
    app.stdin.write(KEY.enter);
    expect(await waitFor(answer, 'the answer')).toBe('E');
    answer = ask({ observation: { data: null, text: 'You are at (1, 0).' }, legal, history: [{ t: 1, observation: { data: null, text: '' }, action: 'E', reward: 0, feedback: 'wall' }] });
    const g = await screen('You are at (1, 0).');
    expect(g).toContain('refused: wall');
    expect(g).toContain('step 2/3');
    app.stdin.write('3');
    expect(await waitFor(answer, 'the answer')).toBe('S');
  });

  it('gives every action of a long list a key (inventory has 12: 1–9, then a, b, c)', async () => {
    const { app, screen, ask } = mountPlay();
    const actions = Array.from({ length: 12 }, (_, i) => `action-${i + 1}`);
    const answer = ask({ observation: { data: null, text: 'Day 1.' }, legal: { kind: 'discrete', actions }, history: [] });
    await screen('Day 1.');
    app.stdin.write('c');
    expect(await waitFor(answer, 'the answer')).toBe('action-12');
    expect(actionKey(9)).toBe('a');
    expect(actionKey(25)).toBe('r'); // q is skipped: it quits
    expect(indexOfKey('q')).toBeNull();
    expect(ACTION_KEYS.length).toBe(34);
  });

  it('opens help with ? and quits with q, as the header says', async () => {
    let quit = false;
    const { app, screen, ask } = mountPlay(() => (quit = true));
    ask({ observation: { data: null, text: 'You are at (0, 0).' }, legal: { kind: 'discrete', actions: ['N', 'E'] }, history: [] });
    const f = await screen('You are at (0, 0).');
    expect(f).toContain('? help · q quits');
    app.stdin.write('?');
    const h = await screen('hotmess play · keys');
    expect(h).toContain('take the action with that key');
    app.stdin.write('?');
    await screen('You are at (0, 0).');
    app.stdin.write('q');
    await waitFor(() => (quit ? true : undefined), 'q to quit');
  });

  it('checks a typed numeric action against the schema before sending it', async () => {
    const { app, screen, ask } = mountPlay();
    const legal = { kind: 'continuous' as const, schema: z.number().int(), description: 'an integer: the new running sum' };
    const answer = ask({ observation: { data: null, text: 'Step 1. Keys: mido.' }, legal, history: [] });
    await screen('Keys: mido');
    app.stdin.write('4');
    app.stdin.write('x');
    await screen('> 4x');
    app.stdin.write(KEY.enter);
    await screen('not a valid action (an integer: the new running sum)');
    expect(answer()).toBeUndefined();
    app.stdin.write(KEY.backspace);
    await screen('> 4\n');
    app.stdin.write('2');
    await screen('> 42');
    app.stdin.write(KEY.enter);
    expect(await waitFor(answer, 'the answer')).toBe(42);
  });

  it('stops on Esc', async () => {
    let quit = false;
    const { app, screen } = mountPlay(() => (quit = true));
    await screen('waiting for the environment');
    app.stdin.write(KEY.escape);
    await waitFor(() => (quit ? true : undefined), 'onQuit');
  });
});

/** What `hotmess play maze --horizon 6 --seed 3` shows as the instructions. */
function mazeInstructions(): string {
  const env = ENVIRONMENTS.maze;
  return env.instructions!(env.reset(env.params.parse({}), 6, instanceRng(3, 6, 0)));
}

describe('instructions on the play screen (regression: play maze packed the map onto one line and cut the rules)', () => {
  it('keeps every map row whole on its own row and wraps the rules within the width, dropping nothing', () => {
    const text = mazeInstructions();
    const [rules, ...map] = text.split('\n');
    expect(rules.length).toBeGreaterThan(159);
    expect(map.length).toBe(11);
    const { rows, hidden } = packLines(text, 159, 40);
    expect(hidden).toBe(0);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(159);
    // The map is the instructions' last 11 lines, one row each, in order.
    expect(rows.slice(-11)).toEqual(map);
    // The rules, re-joined at the breaks, are the text the model reads.
    expect(rows.slice(0, -11).join(' ')).toBe(rules);
    expect(rows.slice(0, -11).length).toBe(2);
  });

  it('still packs a kv-sum dictionary into columns, every entry kept', () => {
    const env = ENVIRONMENTS['kv-sum'];
    const params = env.params.parse({ dictSize: 64 });
    const text = env.instructions!(env.reset(params, 8, instanceRng(1, 8, 0)));
    const entries = text.split('\n').filter(isEntry);
    expect(entries.length).toBe(64);
    const { rows } = packLines(text, 159, 100);
    expect(rows.length).toBeLessThan(20);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(159);
    const cells = rows.flatMap((r) => r.split(/ {3,}/).map((c) => c.trim()));
    for (const e of entries) expect(cells).toContain(e);
  });

  it('wraps at spaces, and mid-word only for a word wider than the panel', () => {
    expect(wrapLine('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapLine('abcdefghij xy', 4)).toEqual(['abcd', 'efgh', 'ij', 'xy']);
    expect(wrapLine('short', 10)).toEqual(['short']);
  });

  it('the screen shows the whole rules text and the map rows (100 columns)', async () => {
    const channel = new TurnChannel();
    const app = render(<PlayApp channel={channel} title="hotmess play · maze" horizon={6} rollouts={1} instructions={mazeInstructions()} onQuit={() => undefined} />);
    mounted = app;
    void channel.choose({ observation: { data: null, text: 'You are at (1, 2).' }, legal: { kind: 'discrete', actions: ['N', 'E', 'S', 'W'] }, history: [], rollout }, new AbortController().signal);
    const frame = await waitFor(() => ((app.lastFrame() ?? '').includes('You are at (1, 2).') ? app.lastFrame()! : undefined), 'the play screen');
    const lines = frame.split('\n').map((l) => l.trimEnd());
    expect(lines.join(' ')).toContain('Moving into a wall is refused. Reach the goal G from the start S.');
    expect(lines).toContain('###########');
    // Map rows are whole (24 rows do not fit them all: the rest is counted, never cut).
    const mapRows = lines.filter((l) => /^#[#.SG]*#$/.test(l));
    expect(mapRows.length).toBeGreaterThanOrEqual(5);
    for (const m of mapRows) expect(m).toHaveLength(11);
    expect(frame).toMatch(/… \d+ more lines/);
  });
});

/** A person who always answers the first legal action and notes what they saw. */
function scriptedPerson(seen: string[]) {
  return humanAgent(async (turn: HumanTurn) => {
    seen.push(turn.observation.text);
    return turn.legal.kind === 'discrete' ? turn.legal.actions[0] : 0;
  });
}

describe('a played session', () => {
  it('is a normal run directory with agent kind human that replay and analyze read', async () => {
    const seen: string[] = [];
    const registry = { environments: REGISTRY.environments, agents: { ...REGISTRY.agents, human: scriptedPerson(seen) } };
    const spec = parseScenario({ name: 'play-maze', environment: 'maze', horizons: [4], instances: 1, rollouts: 2, seed: 5, agents: [{ name: 'human', kind: 'human' }] });
    const dir = join(tempDir(), 'run');
    await runScenario(await resolveScenario(spec, registry, null), { out: dir, registry, version: 'test' });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { agents: { kind: string }[] };
    expect(manifest.agents.map((a) => a.kind)).toEqual(['human']);
    const steps = readJsonlFile<{ rollout: string; action: string; timing?: { thinkMs?: number } }>(join(dir, 'steps.jsonl'));
    expect(steps.length).toBe(seen.length);
    expect(steps.every((s) => s.action === 'N' && typeof s.timing?.thinkMs === 'number')).toBe(true);
    const model = await ReplayModel.open(dir, { resolveEnvironment: (n) => (REGISTRY.environments as Record<string, never>)[n] });
    const g = await model.group('human:4:0');
    expect(g.lanes.length).toBe(2);
    // Both plays took the same actions: no divergence; and the observation shown is the one the person saw.
    expect(g.divergence.first).toBeNull();
    const v = (await model.stepView(g, g.lanes[0], 1))!;
    expect(v.observation.text).toBe(seen[0]);
    const doc = await analyzeRun(dir, { resamples: 20 });
    expect(doc.horizons.map((h) => [h.agent, h.rollouts])).toEqual([['human', 2]]);
  });

  it('the registered human kind, without a terminal, ends its rollouts in error pointing to play', async () => {
    const spec = parseScenario({ name: 'no-person', environment: 'maze', horizons: [2], instances: 1, rollouts: 1, seed: 1, agents: [{ name: 'h', kind: 'human' }] });
    expect(REGISTRY.agents.human).toBe(humanDefault);
    const dir = join(tempDir(), 'run');
    await runScenario(await resolveScenario(spec, REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
    const [r] = readJsonlFile<{ termination: string; error: string }>(join(dir, 'rollouts.jsonl'));
    expect(r.termination).toBe('error');
    expect(r.error).toContain('hotmess play');
  });

  it('names a bad --horizon with the valid values, even without a terminal (regression: it said "<scenario>: horizons.0")', async () => {
    const r = await hotmess('play', 'hanoi', '--horizon', '4');
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hotmess: --horizon 4: hanoi horizons must be 2\^n - 1 .*Valid horizons: 1, 3, 7, 15/);
  });

  it('names an unknown environment before asking for a terminal (regression: it said "needs an interactive terminal")', async () => {
    const r = await hotmess('play', 'mazee');
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hotmess: play: unknown environment "mazee"; \(did you mean "maze"\?\) known: .*maze/);
  });

  it('names bad --params by the flag', async () => {
    const registry = { environments: REGISTRY.environments, agents: { ...REGISTRY.agents, human: scriptedPerson([]) } };
    await expect(playScenario({ env: 'kv-sum', horizon: 4, params: { dictSize: 'many' } }, registry)).rejects.toThrow(/^--params: dictSize: /);
    await expect(playScenario({ env: 'kv-sum', horizon: 4, params: { dictSzie: 8 } }, registry)).rejects.toThrow(/^--params: unknown parameter "dictSzie" for environment kv-sum$/);
    const ok = await playScenario({ env: 'hanoi', horizon: 7, seed: 2 }, registry);
    expect([ok.spec.horizons, ok.spec.agents.map((a) => a.kind), ok.spec.rollouts]).toEqual([[7], ['human'], 1]);
  });

  it('hotmess play without a terminal fails with one line', async () => {
    const r = await hotmess('play', 'maze');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['hotmess: play needs an interactive terminal: stdin and stdout must be a TTY (it reads your keys)']);
  });
});
