/**
 * `run --workers N`: rollouts in worker processes, committed by the main
 * process. Real child processes, a real kill -9.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario, workerPool, type ResolvedScenario, type WorkerPool } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hotmess } from '../helpers/cli.js';
import { dropTiming, normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';

const ENTRY = new URL('../../src/cli/rollout-worker.ts', import.meta.url);

const KV = {
  name: 'workers-kv',
  environment: 'kv-sum',
  params: { dictSize: 32, keysPerStep: 2 },
  horizons: [5, 40, 200],
  instances: 3,
  rollouts: 8,
  seed: 13,
  agents: [
    { name: 'noisy', kind: 'noisy', params: { epsilon: 0.2 } },
    { name: 'sc', kind: 'self-conditioning', params: { epsilon0: 0.05, growth: 0.1 } },
  ],
};

const MAZE = {
  name: 'workers-maze',
  environment: 'maze',
  horizons: [8, 24],
  instances: 2,
  rollouts: 10,
  seed: 'maze-seed',
  agents: [
    { name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } },
    { name: 'ens', kind: 'ensemble', params: { inner: { kind: 'noisy', params: { epsilon: 0.4 } }, samples: 3 } },
  ],
};

const resolved = (spec: object): Promise<ResolvedScenario> => resolveScenario(parseScenario(spec), REGISTRY, null);
const pool = (s: ResolvedScenario, workers = 2): WorkerPool => workerPool({ entry: ENTRY, workers, scenario: { spec: s.spec, file: null } });

function expectSameLogs(a: string, b: string): void {
  for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(normalisedLines(join(b, f))).toEqual(normalisedLines(join(a, f)));
  const manifest = (d: string) => dropTiming(JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')));
  expect(manifest(b)).toEqual(manifest(a));
}

describe('run --workers N', () => {
  for (const spec of [KV, MAZE]) {
    it(`gives the canonical logs of --workers 1 on ${spec.environment}`, async () => {
      const s = await resolved(spec);
      const one = join(tempDir(), 'one');
      const two = join(tempDir(), 'two');
      await runScenario(s, { out: one, registry: REGISTRY, version: 'test' });
      const summary = await runScenario(s, { out: two, registry: REGISTRY, version: 'test', place: pool(s) });
      expect(summary.status).toBe('finished');
      expect(summary.ran).toBe(readJsonlFile(join(one, 'rollouts.jsonl')).length);
      expectSameLogs(one, two);
    });
  }

  it('survives kill -9 of a worker: its rollouts in flight are re-run, nothing twice, same logs', async () => {
    const s = await resolved({ ...KV, horizons: [300], instances: 3, rollouts: 10 });
    const one = join(tempDir(), 'one');
    await runScenario(s, { out: one, registry: REGISTRY, version: 'test' });
    const two = join(tempDir(), 'two');
    const place = pool(s);
    let killed = 0;
    const summary = await runScenario(s, {
      out: two,
      registry: REGISTRY,
      version: 'test',
      place,
      onProgress: (done) => {
        // Mid-run, while both workers hold rollouts.
        if (done >= 15 && killed === 0) {
          killed = place.pids()[0];
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(place.crashes).toBe(1);
    expect(summary.status).toBe('finished');
    expect(summary.terminations.error).toBe(0);
    const ids = readJsonlFile<{ rollout: string }>(join(two, 'rollouts.jsonl')).map((r) => r.rollout);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
    expectSameLogs(one, two);
  });

  it('stops on abort and resumes with workers to the same logs', async () => {
    const s = await resolved({ ...KV, horizons: [200], instances: 3, rollouts: 10 });
    const one = join(tempDir(), 'one');
    await runScenario(s, { out: one, registry: REGISTRY, version: 'test' });
    const two = join(tempDir(), 'two');
    const controller = new AbortController();
    const first = await runScenario(s, {
      out: two,
      registry: REGISTRY,
      version: 'test',
      place: pool(s),
      signal: controller.signal,
      onProgress: (done) => done >= 10 && controller.abort(),
    });
    expect(first.status).toBe('interrupted');
    expect(first.ran).toBeLessThan(60);
    const second = await runScenario(s, { out: two, registry: REGISTRY, version: 'test', resume: true, place: pool(s) });
    expect(second.status).toBe('finished');
    expect(second.skipped + second.ran).toBe(60);
    expectSameLogs(one, two);
  });

  it('takes --workers from the command line and refuses a bad value in one line', async () => {
    const dir = tempDir();
    const file = join(dir, 's.yaml');
    writeFileSync(file, `name: cli\nenvironment: kv-sum\nhorizons: [6]\ninstances: 2\nrollouts: 3\nseed: 1\nworkers: 2\nagents:\n  - { name: n, kind: noisy, params: { epsilon: 0.2 } }\n`);
    const ok = await hotmess('run', file, '--out', join(dir, 'run'), '--workers', 'auto');
    expect(ok.stderr).not.toContain('Error');
    expect(ok.status).toBe(0);
    expect(readJsonlFile(join(dir, 'run', 'rollouts.jsonl'))).toHaveLength(6);
    const bad = await hotmess('run', file, '--out', join(dir, 'bad'), '--workers', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['hotmess: --workers: expected a positive integer or "auto", got "0"']);
  });
});
