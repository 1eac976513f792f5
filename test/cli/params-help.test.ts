/**
 * Every plugin says what each of its params means (`.describe()` on the
 * zod schema), and `envs`, `agents` and `scenario new` show it.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hotmess } from '../helpers/cli.js';

/** `kind.param` for every param without a description. */
function undescribed(plugins: Record<string, { params: z.ZodType }>): string[] {
  return Object.entries(plugins).flatMap(([kind, p]) => {
    const js = z.toJSONSchema(p.params, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { description?: string }> };
    return Object.entries(js.properties ?? {}).flatMap(([name, prop]) => (prop.description?.trim() ? [] : [`${kind}.${name}`]));
  });
}

describe('plugin params', () => {
  it('every registered environment and agent kind describes every param', () => {
    expect(undescribed(REGISTRY.environments)).toEqual([]);
    expect(undescribed(REGISTRY.agents)).toEqual([]);
    // The check sees a missing one.
    expect(undescribed({ x: { params: z.object({ a: z.number().describe('an a'), b: z.number() }) } })).toEqual(['x.b']);
  });

  it('envs and agents list each param on its own line with its type, range, default and meaning', async () => {
    const envs = await hotmess('envs');
    expect(envs.status).toBe(0);
    expect(envs.stdout).toContain(
      '  params:\n    dictSize: integer 1..100000 = 64 — words in the dictionary an instance draws its keys from\n    keysPerStep: integer 1..100 = 1 — keys revealed per step; the agent adds their values to the running sum\n',
    );
    expect(envs.stdout).toContain('hanoi\n  Tower of Hanoi: move n disks to the target peg in the optimal 2^n - 1 moves.\n  params: (none)\n');
    const agents = await hotmess('agents');
    expect(agents.stdout).toContain('noisy\n  Oracle action with probability 1−epsilon, else a uniformly drawn wrong action.\n  params:\n    epsilon: number 0..1 (required) — chance per step of a wrong action, drawn afresh in every rollout\n');
    expect(agents.stdout).toMatch(/\n {4}apiKeyEnv: string = "ANTHROPIC_API_KEY" — the environment variable holding the API key/);
  });

  it('scenario new writes each param meaning as a comment above its default, and the file still parses', async () => {
    const r = await hotmess('scenario', 'new', 'inventory');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# Environment parameters (the values below are the defaults):\n#   baseDemand: number ..1000 = 8 — mean daily demand at the mid price\n');
    expect(r.stdout).toContain('#   holdingCost: integer 0..10000 = 10 — overnight fee per unsold unit, in cents\n');
    const doc = parseYaml(r.stdout) as { params: Record<string, unknown> };
    expect(doc.params).toMatchObject({ baseDemand: 8, holdingCost: 10 });
    expect(parseScenario(doc, 'new.yaml').environment).toBe('inventory');
    expect((await hotmess('scenario', 'new', 'hanoi')).stdout).toContain('# Environment parameters: none.\nparams: {}\n');
  });
});
