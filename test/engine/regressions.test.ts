/** Regression tests, each named after what broke. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { recoverRun } from '../../src/log/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hotmess } from '../helpers/cli.js';
import { CLI, readJsonlFile, tempDir } from '../helpers/run-dir.js';

const cli = (args: string[]) => hotmess(...args);

function scenarioFile(yaml: string): string {
  const file = join(tempDir(), 's.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('regressions', () => {
  it('an ensemble naming an unknown inner agent kind fails validation, not every rollout', async () => {
    const file = scenarioFile(`name: e\nenvironment: kv-sum\nhorizons: [3]\nrollouts: 2\nseed: 1\nagents:\n  - { name: e, kind: ensemble, params: { inner: { kind: nope }, samples: 3 } }\n`);
    const r = await cli(['scenario', 'validate', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/agents\.0\.params\.inner\.kind: unknown agent kind "nope"/);
    const bad = scenarioFile(`name: e\nenvironment: kv-sum\nhorizons: [3]\nrollouts: 2\nseed: 1\nagents:\n  - { name: e, kind: ensemble, params: { inner: { kind: noisy, params: { epsilon: 3 } }, samples: 3 } }\n`);
    expect((await cli(['scenario', 'validate', bad])).stderr).toMatch(/agents\.0\.params\.inner\.params\.epsilon:/);
  });

  it('a misspelt environment or agent parameter is refused, not silently defaulted', async () => {
    const file = scenarioFile(`name: e\nenvironment: kv-sum\nparams: { keyPerStep: 3 }\nhorizons: [3]\nrollouts: 2\nseed: 1\nagents:\n  - { name: n, kind: noisy, params: { epsilon: 0.1 } }\n`);
    const r = await cli(['scenario', 'validate', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/params: unknown parameter "keyPerStep" for environment kv-sum/);
  });

  it('the manifest records the resolved environment params, defaults filled in', async () => {
    const dir = join(tempDir(), 'run');
    const s = await resolveScenario(parseScenario({ name: 'm', environment: 'maze', horizons: [4], rollouts: 1, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] }), REGISTRY, null);
    await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.environment.params).toEqual(s.envParams);
    expect(Object.keys(m.environment.params).length).toBeGreaterThan(0);
  });

  it('the biased agent does not shuttle forever between a state and its deviation (maze N/S)', async () => {
    const rate = 0.2;
    const dir = join(tempDir(), 'run');
    const s = await resolveScenario(
      parseScenario({ name: 'b', environment: 'maze', horizons: [32], instances: 8, rollouts: 2, seed: 4, agents: [{ name: 'b', kind: 'biased', params: { rate } }] }),
      REGISTRY,
      null,
    );
    await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
    const steps = readJsonlFile<{ rollout: string; action: unknown; oracle: unknown }>(join(dir, 'steps.jsonl'));
    const off = steps.filter((x) => JSON.stringify(x.action) !== JSON.stringify(x.oracle)).length / steps.length;
    // Deviations are at most the planted rate (4 binomial SEs); the shuttle made them 0.44.
    expect(off).toBeLessThanOrEqual(rate + 4 * Math.sqrt((rate * (1 - rate)) / steps.length));
    // And every rollout of a group is the same sequence.
    const seq = (id: string) => steps.filter((x) => x.rollout === id).map((x) => JSON.stringify(x.action)).join();
    expect(seq('b:32:0:0')).toBe(seq('b:32:0:1'));
  });

  it('run exits non-zero (and says how to re-run) when rollouts end in error', async () => {
    const fixtures = join(process.cwd(), 'test', 'fixtures');
    const file = join(fixtures, `tmp-${process.pid}.yaml`);
    writeFileSync(file, `name: boom\nenvironment: ./counter-env.ts\nhorizons: [3]\nrollouts: 2\nseed: 1\nagents:\n  - { name: b, kind: biased, params: { rate: 1 } }\n`);
    try {
      const out = join(tempDir(), 'run');
      const r = await cli(['run', file, '--out', out]);
      expect(r.status).toBe(5);
      expect(r.stderr).toMatch(/2 rollout\(s\) ended in error.*--resume/);
    } finally {
      spawnSync('rm', ['-f', file]);
    }
  });

  it('run --json --analyze prints one JSON document', async () => {
    const file = scenarioFile(`name: j\nenvironment: kv-sum\nhorizons: [3]\nrollouts: 3\nseed: 1\nagents:\n  - { name: n, kind: noisy, params: { epsilon: 0.3 } }\n`);
    const r = await cli(['run', file, '--out', join(tempDir(), 'run'), '--json', '--analyze']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ status: 'finished', ran: 3 });
    expect(doc.analysis).toMatch(/analysis\.json$/);
    expect(doc.report).toMatch(/report\.md$/);
  });

  it('recovery counts a torn steps line as torn, and retiring error rollouts twice adds nothing', async () => {
    const dir = join(tempDir(), 'run');
    const s = await resolveScenario(
      parseScenario({ name: 'r', environment: 'kv-sum', horizons: [3], rollouts: 2, seed: 1, agents: [{ name: 'n', kind: 'noisy', params: { epsilon: 0.3 } }] }),
      REGISTRY,
      null,
    );
    await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
    const errLine = JSON.stringify({ rollout: 'n:3:0:9', agent: 'n', horizon: 3, instance: 0, index: 9, length: 0, termination: 'error', error: 'x', outcome: null });
    appendFileSync(join(dir, 'rollouts.jsonl'), errLine + '\n');
    appendFileSync(join(dir, 'steps.jsonl'), '{"rollout":"n:3:0:0","t":9,"act');
    const r = await recoverRun(dir);
    expect(r).toMatchObject({ tornLines: 1, retired: 1, droppedSteps: 0 });
    // A crash after retiring but before the rewrite leaves the line in both files; recovery again must not duplicate it.
    appendFileSync(join(dir, 'rollouts.jsonl'), errLine + '\n');
    await recoverRun(dir);
    expect(readFileSync(join(dir, 'retired.jsonl'), 'utf8').trim().split('\n')).toEqual([errLine]);
  });

  it('option errors from the parser are one line', async () => {
    const r = await cli(['run', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["hotmess: unknown option '--bogus' (see --help)"]);
  });
});

describe('regressions: run directories and imports', () => {
  it('run --out naming a file is a usage error, not an internal one', async () => {
    const file = scenarioFile(`name: f\nenvironment: kv-sum\nhorizons: [3]\nrollouts: 1\nseed: 1\nagents:\n  - { name: o, kind: oracle }\n`);
    const r = await cli(['run', file, '--out', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out must be a directory/);
  });

  it('resume deletes a stale analysis.json, since the logs change', async () => {
    const file = scenarioFile(`name: st\nenvironment: kv-sum\nhorizons: [3]\nrollouts: 2\nseed: 1\nagents:\n  - { name: o, kind: oracle }\n`);
    const out = join(tempDir(), 'run');
    expect((await cli(['run', file, '--out', out, '--analyze'])).status).toBe(0);
    expect((await cli(['run', file, '--out', out, '--resume'])).status).toBe(0);
    expect(spawnSync('test', ['-e', join(out, 'analysis.json')]).status).not.toBe(0);
  });

  it('import --force refuses to replace a folder that is not a run directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    const src = join(tempDir(), 'in.jsonl');
    writeFileSync(src, '{"type":"step","group":"g","rollout":0,"t":1,"action":"a"}\n{"type":"outcome","group":"g","rollout":0,"outcome":{"kind":"coverage","value":[1],"target":[1]}}\n');
    const r = await cli(['import', 'jsonl', src, '--out', dir, '--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a run directory/);
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('import jsonl refuses a group name with a colon (rollout ids would be ambiguous)', async () => {
    const src = join(tempDir(), 'in.jsonl');
    writeFileSync(src, '{"type":"step","group":"a:b","rollout":0,"t":1,"action":"a"}\n');
    const r = await cli(['import', 'jsonl', src, '--out', join(tempDir(), 'out')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/group.*colons/);
  });
});

describe('regressions: Ctrl-C', () => {
  it('one Ctrl-C to the process group stops cleanly (tsx relays it, so it arrives twice)', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync, statSync } = await import('node:fs');
    const file = scenarioFile(`name: c\nenvironment: kv-sum\nhorizons: [200, 400]\ninstances: 4\nrollouts: 200\nseed: 1\nagents:\n  - { name: n, kind: noisy, params: { epsilon: 0.1 } }\n`);
    const out = join(tempDir(), 'run');
    // As `npm run hotmess` starts it: one node process with tsx's loader.
    const child = spawn(CLI[0], [...CLI.slice(1), 'run', file, '--out', out], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // 'close', not 'exit': stderr is read to its end.
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const rollouts = join(out, 'rollouts.jsonl');
    const until = Date.now() + 60_000;
    while (!(existsSync(rollouts) && statSync(rollouts).size > 0)) {
      if (Date.now() > until) throw new Error('run did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    // What a terminal does: the signal goes to the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/continue with: .* --resume/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('interrupted');
  });
});
