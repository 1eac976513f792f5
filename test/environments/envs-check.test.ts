/**
 * `hotmess envs check` on an author's own module, and `scenario validate`
 * running the same contract on an environment named by path: the CLI
 * in-process on real module files.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotmess } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-dir.js';

const cli = (args: string[]) => hotmess(...args);
const core = resolve('src/core/index.ts');
// The module lives in a temp dir, outside node_modules' reach: import zod by its resolved path.
const zod = createRequire(import.meta.url).resolve('zod');

/** A step counter whose reward comes from a module-level tick when `leaky`: the second seeded run sees other rewards. */
function envModule(dir: string, leaky: boolean): string {
  const file = join(dir, leaky ? 'leaky-env.ts' : 'good-env.ts');
  writeFileSync(
    file,
    `import { z } from ${JSON.stringify(zod)};
import { defineEnvironment } from ${JSON.stringify(core)};
let tick = 0;
export default defineEnvironment({
  name: ${JSON.stringify(leaky ? 'leaky' : 'good')},
  description: 'count to H',
  params: z.object({}).strict(),
  horizonMeaning: 'steps',
  reset: (_p, h) => ({ n: 0, h }),
  actions: () => ({ kind: 'discrete', actions: ['inc', 'stay'] }),
  transition(d, a) {
    if (a === 'inc') d.n += 1;
    return { reward: ${leaky ? 'tick++ % 2' : '0'}, terminated: d.n >= d.h };
  },
  observe: (s) => ({ data: { n: s.n }, text: 'at ' + s.n }),
  oracle: () => 'inc',
  outcome: (s) => ({ kind: 'coverage', value: [s.n >= s.h ? 1 : 0], target: [1], success: s.n >= s.h }),
  outcomeKind: 'coverage',
  outcomeMeaning: 'reached H',
});
`,
  );
  return file;
}

describe('envs check and scenario validate on a module-path environment', () => {
  const dir = tempDir();
  const leaky = envModule(dir, true);
  envModule(dir, false);

  it('envs check names the broken field and exits 3; a registered environment passes', async () => {
    const bad = await cli(['envs', 'check', leaky, '--horizons', '3,5']);
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/\[determinism\] H=3 seed=check-0 t=1: same seed and same actions gave different rewards at step 1/);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hotmess: environment leaky fails its contract: \d+ problem\(s\)/)]);
    const good = await cli(['envs', 'check', 'quiz', '--json']);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ environment: 'quiz', horizons: [1, 2, 3], ok: true, failures: [] });
  });

  it('scenario validate runs the contract on a module-path environment', async () => {
    const scenario = (env: string) => {
      const file = join(dir, `${env}.yaml`);
      writeFileSync(file, `name: s\nenvironment: ./${env}-env.ts\nhorizons: [3, 5, 100]\nrollouts: 2\nseed: 1\nagents:\n  - { name: o, kind: oracle }\n`);
      return file;
    };
    const bad = await cli(['scenario', 'validate', scenario('leaky')]);
    expect(bad.status).toBe(2);
    const lines = bad.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/leaky\.yaml: environment \.\/leaky-env\.ts: \[determinism\] H=3 seed=check-0 t=1: same seed and same actions gave different rewards/);
    // Only the two smallest horizons are checked.
    expect(bad.stderr).not.toMatch(/H=100/);
    const good = await cli(['scenario', 'validate', scenario('good')]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/good\.yaml: valid/);
  });
});
