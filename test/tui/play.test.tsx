/**
 * `play`: the play screen answers the human agent's turns from the keyboard
 * (discrete picks, typed numeric actions checked by the schema), a session
 * played through the real engine is a normal run directory that replay and
 * analyze read, and without a terminal the command stops with one line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import humanDefault, { humanAgent, type HumanTurn } from '../../agents/human.js';
import { analyzeRun } from '../../src/analysis/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import type { Action } from '../../src/core/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { ReplayModel } from '../../src/tui/index.js';
import { TurnChannel, type Turn } from '../../src/tui/play/channel.js';
import { PlayApp } from '../../src/tui/play/PlayApp.js';
import { CLI, readJsonlFile, tempDir } from '../helpers/run-dir.js';
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

  it('hotmess play without a terminal fails with one line', () => {
    const r = spawnSync(CLI[0], [CLI[1], 'play', 'maze'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['hotmess: play needs an interactive terminal: stdin and stdout must be a TTY (it reads your keys)']);
  });
});
