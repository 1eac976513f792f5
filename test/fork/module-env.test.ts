/**
 * Issue 10, item 17: a run whose environment is a module path (relative to
 * its scenario file) stays usable from anywhere: fork finds the module, and
 * replay still shows the observations.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forkRun, loadScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';

const FIXTURES = resolve('test', 'fixtures');
const scenarioFile = join(FIXTURES, `tmp-module-env-${process.pid}.yaml`);
afterAll(() => rmSync(scenarioFile, { force: true }));

describe('a module-path environment', () => {
  it('is recorded in the manifest, and fork and replay find it from another directory', async () => {
    writeFileSync(scenarioFile, 'name: modenv\nenvironment: ./counter-env.ts\nhorizons: [4]\nrollouts: 2\nseed: 1\nagents:\n  - { name: n, kind: oracle }\n');
    const run = join(tempDir(), 'run');
    await runScenario(await loadScenario(scenarioFile, REGISTRY), { out: run, registry: REGISTRY, version: 'test' });
    const manifest = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8'));
    expect(manifest.environment.module).toBe(join(FIXTURES, 'counter-env.ts'));
    // The recorded scenario still says what the user wrote.
    expect(manifest.scenario.environment).toBe('./counter-env.ts');

    // The test's cwd is the repository root, where ./counter-env.ts does not exist.
    const out = join(tempDir(), 'fork');
    const summary = await forkRun({ run, rollout: 'n:4:0:0', step: 2, samples: 3, out, registry: REGISTRY, version: 'test' });
    expect(summary.status).toBe('finished');
    expect(readJsonlFile(join(out, 'rollouts.jsonl'))).toHaveLength(3);

    const elsewhere = tempDir();
    const r = spawnSync(resolve('node_modules/.bin/tsx'), [resolve('src/cli/main.ts'), 'replay', run, '--plain', '--group', 'n:4:0', '--rollout', '0'], {
      encoding: 'utf8',
      cwd: elsewhere,
      env: { ...process.env, CI: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/t=1 .*obs: count 0 of 4/);
  }, 60_000);
});
