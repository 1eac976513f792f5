/**
 * A non-finite reward from an environment is refused at the step that
 * returns it: the rollout ends in one error naming the environment and the
 * step, and no `NaN` reaches steps.jsonl (it is not JSON) or the return.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { checkEnvironment, defineEnvironment } from '../../src/core/index.js';
import { parseScenario, resolveScenario, runScenario, type Registry } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

/** A walk to cell H whose reward at step 2 is `bad`. */
const walk = (bad: number) =>
  defineEnvironment<Record<string, never>, { pos: number; goal: number }, string>({
    name: 'bad-reward',
    description: 'a walk whose second step pays a non-finite reward',
    params: z.object({}),
    horizonMeaning: 'steps',
    reset: (_p, h) => ({ pos: 0, goal: h }),
    actions: () => ({ kind: 'discrete', actions: ['go', 'stay'] }),
    transition(draft, a) {
      if (a === 'go') draft.pos += 1;
      return { reward: draft.pos === 2 ? bad : 1, terminated: draft.pos >= draft.goal };
    },
    observe: (s) => ({ data: { pos: s.pos }, text: `at ${s.pos}` }),
    oracle: () => 'go',
    outcome: (s) => ({ kind: 'coverage', value: [s.pos >= s.goal ? 1 : 0], target: [1], success: s.pos >= s.goal }),
    outcomeKind: 'coverage',
    outcomeMeaning: 'reached',
    systematicError: () => 'stay',
  });

describe('a non-finite reward', () => {
  for (const [bad, said] of [
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ] as const) {
    it(`(${said}) ends the rollout in one error naming the environment and step, and is never logged`, async () => {
      const env = walk(bad);
      const registry: Registry = { environments: { ...REGISTRY.environments, 'bad-reward': env }, agents: REGISTRY.agents };
      const spec = parseScenario({ name: 'r', environment: 'bad-reward', horizons: [4], instances: 1, rollouts: 2, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] }, 'r.yaml');
      const out = join(tempDir(), 'run');
      const summary = await runScenario(await resolveScenario(spec, registry, null), { out, registry, version: 'test' });
      expect(summary.terminations.error).toBe(2);
      const rollouts = readJsonlFile<{ termination: string; error?: string; length: number; return?: number }>(join(out, 'rollouts.jsonl'));
      for (const r of rollouts) {
        expect(r.termination).toBe('error');
        expect(r.error).toBe(`step 2: bad-reward: reward ${said} is not a finite number; a transition must return a finite reward`);
      }
      const steps = readFileSync(join(out, 'steps.jsonl'), 'utf8');
      expect(steps).not.toContain(said);
      // Step 1 of each rollout is logged; step 2 is not.
      expect(readJsonlFile<{ t: number; reward: number }>(join(out, 'steps.jsonl')).map((s) => [s.t, s.reward])).toEqual([
        [1, 1],
        [1, 1],
      ]);
      // The contract checker reports it too, before anyone runs it.
      expect(checkEnvironment(env, {}, [4]).some((f) => f.message.includes(`reward ${said} is not a finite number`))).toBe(true);
    });
  }
});
