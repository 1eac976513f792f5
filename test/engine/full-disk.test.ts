/**
 * Issue 10, items 2 and 3: a full disk, caused for real with a 2 MiB tmpfs
 * as --out. Nothing half-written is committed, the CLI says so in one line
 * with exit 4 and the resume hint, and after remounting larger `--resume`
 * ends with exactly the logs of an uninterrupted run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { recoverRun } from '../../src/log/index.js';
import { OsError } from '../../src/core/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { normalisedLines, readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { hotmess } from '../helpers/cli.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

/** About 3.5 MiB of steps: more than the 2 MiB disk holds. */
const SPEC = {
  name: 'disk',
  environment: 'kv-sum',
  params: { dictSize: 32, keysPerStep: 1 },
  horizons: [32],
  instances: 4,
  rollouts: 100,
  seed: 11,
  concurrency: 1,
  agents: [{ name: 'noisy', kind: 'noisy', params: { epsilon: 0.2 } }],
};
const YAML = `name: disk
environment: kv-sum
params: { dictSize: 32, keysPerStep: 1 }
horizons: [32]
instances: 4
rollouts: 100
seed: 11
agents:
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
`;


let disk: Tmpfs | null = null;
afterEach(() => {
  disk?.unmount();
  disk = null;
});

async function reference(): Promise<string> {
  const dir = join(tempDir(), 'reference');
  await runScenario(await resolveScenario(parseScenario(SPEC), REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
  return dir;
}

/** Every committed rollout's steps are exactly t = 1..length, in order. */
function stepsMatchLengths(dir: string): string[] {
  // The last line may be torn (the cut write); it belongs to no committed rollout.
  const text = readFileSync(join(dir, 'steps.jsonl'), 'utf8');
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  const steps = whole.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rollout: string; t: number });
  const byRollout = new Map<string, number[]>();
  for (const s of steps) byRollout.set(s.rollout, [...(byRollout.get(s.rollout) ?? []), s.t]);
  return readJsonlFile<{ rollout: string; length: number }>(join(dir, 'rollouts.jsonl'))
    .filter((r) => (byRollout.get(r.rollout) ?? []).join() !== Array.from({ length: r.length }, (_, i) => i + 1).join())
    .map((r) => r.rollout);
}

describe('a full disk', () => {
  it('stops the run with an OsError before committing a rollout whose steps were cut, and leaves the manifest interrupted', async () => {
    disk = mountTmpfs('2m');
    const out = join(disk.dir, 'run');
    const s = await resolveScenario(parseScenario(SPEC), REGISTRY, null);
    const err = await runScenario(s, { out, registry: REGISTRY, version: 'test' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OsError);
    expect((err as OsError).errno).toBe('ENOSPC');
    expect(stepsMatchLengths(out)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('interrupted');
    expect(manifest.stoppedBecause).toMatch(/ENOSPC/);
  });

  it('from the CLI: one line, exit 4, the resume hint; remounted larger, --resume gives the uninterrupted logs', async () => {
    const ref = await reference();
    disk = mountTmpfs('2m');
    const file = join(tempDir(), 'disk.yaml');
    writeFileSync(file, YAML);
    const out = join(disk.dir, 'run');
    const full = await hotmess('run', file, '--out', out);
    expect(full.status, full.stderr).toBe(4);
    // Plain progress lines, then exactly one error line.
    const lines = full.stderr.trim().split('\n').filter((l) => !/^run disk: \d+\/400/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/steps\.jsonl|rollouts\.jsonl/);
    expect(lines[0]).toMatch(/no space left on device \(ENOSPC\).*continue with: .* --out .* --resume$/);
    expect(full.stderr).not.toMatch(/\n\s+at /);

    disk.remount('size=64m');
    const resumed = await hotmess('run', file, '--out', out, '--resume');
    expect(resumed.status, resumed.stderr).toBe(0);
    for (const f of ['rollouts.jsonl', 'steps.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(ref, f)));
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('finished');
  }, 120_000);
});

/** Rollouts long enough that their steps are written mid-rollout (inside the rollout actor's bursts, or as a worker's frame arrives), not only at the commit. */
const LONG = { ...SPEC, name: 'disk-long', horizons: [3000], instances: 1, rollouts: 6 };
const LONG_YAML = `name: disk-long
environment: kv-sum
params: { dictSize: 32, keysPerStep: 1 }
horizons: [3000]
instances: 1
rollouts: 6
seed: 11
agents:
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
`;

describe('a full disk mid-rollout', () => {
  for (const workers of ['1', '2']) {
    it(`--workers ${workers}: one line, exit 4, no stack trace; remounted larger, --resume gives the uninterrupted logs`, async () => {
      const ref = join(tempDir(), 'reference');
      await runScenario(await resolveScenario(parseScenario(LONG), REGISTRY, null), { out: ref, registry: REGISTRY, version: 'test' });
      disk = mountTmpfs('2m');
      const file = join(tempDir(), 'disk-long.yaml');
      writeFileSync(file, LONG_YAML);
      const out = join(disk.dir, 'run');
      const full = await hotmess('run', file, '--out', out, '--workers', workers);
      expect(full.status, full.stderr).toBe(4);
      const lines = full.stderr.trim().split('\n').filter((l) => !/^run disk-long: \d+\/6/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/no space left on device \(ENOSPC\).*continue with: .* --out .* --resume$/);
      expect(full.stderr).not.toMatch(/\n\s+at /);
      disk.remount('size=64m');
      const resumed = await hotmess('run', file, '--out', out, '--resume', '--workers', workers);
      expect(resumed.status, resumed.stderr).toBe(0);
      for (const f of ['rollouts.jsonl', 'steps.jsonl']) expect(normalisedLines(join(out, f))).toEqual(normalisedLines(join(ref, f)));
    }, 120_000);
  }
});

describe('recovery of a committed rollout with missing steps', () => {
  it('retires it (with the reason) and --resume re-runs it: the logs equal an uninterrupted run', async () => {
    const ref = await reference();
    const dir = join(tempDir(), 'damaged');
    // What the unchecked writer left after a full disk: a rollout line committed after a cut steps chunk.
    const steps = readFileSync(join(ref, 'steps.jsonl'), 'utf8').split('\n').filter(Boolean);
    const cut = steps.filter((l) => !(l.startsWith('{"rollout":"noisy:32:2:7"') && JSON.parse(l).t > 20));
    expect(cut.length).toBe(steps.length - 12);
    await runScenario(await resolveScenario(parseScenario(SPEC), REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
    writeFileSync(join(dir, 'steps.jsonl'), cut.join('\n') + '\n');

    const r = await recoverRun(dir);
    expect(r.incomplete).toBe(1);
    expect(r.finished.has('noisy:32:2:7')).toBe(false);
    expect(r.droppedSteps).toBe(20);
    const retired = readJsonlFile<{ rollout: string; retired: string }>(join(dir, 'retired.jsonl'));
    expect(retired).toEqual([expect.objectContaining({ rollout: 'noisy:32:2:7', retired: expect.stringMatching(/20 of 32/) })]);

    const s = await resolveScenario(parseScenario(SPEC), REGISTRY, null);
    const summary = await runScenario(s, { out: dir, registry: REGISTRY, version: 'test', resume: true });
    expect(summary.ran).toBe(1);
    for (const f of ['rollouts.jsonl', 'steps.jsonl']) expect(normalisedLines(join(dir, f))).toEqual(normalisedLines(join(ref, f)));
  });

  it('a rollout with a step missing in the middle, or repeated, is retired too', async () => {
    const ref = await reference();
    const dir = join(tempDir(), 'gap');
    await runScenario(await resolveScenario(parseScenario(SPEC), REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
    const lines = readFileSync(join(ref, 'steps.jsonl'), 'utf8').split('\n').filter(Boolean);
    const gap = lines.filter((l) => !(l.startsWith('{"rollout":"noisy:32:0:3"') && JSON.parse(l).t === 5));
    const twice = lines.find((l) => l.startsWith('{"rollout":"noisy:32:1:1"') && JSON.parse(l).t === 9)!;
    writeFileSync(join(dir, 'steps.jsonl'), gap.join('\n') + '\n');
    appendFileSync(join(dir, 'steps.jsonl'), twice + '\n');
    const r = await recoverRun(dir);
    expect(r.incomplete).toBe(2);
    expect([...r.finished].filter((id) => id === 'noisy:32:0:3' || id === 'noisy:32:1:1')).toEqual([]);
    // Idempotent: a second recovery changes nothing.
    const before = readFileSync(join(dir, 'steps.jsonl'), 'utf8');
    const again = await recoverRun(dir);
    expect(again).toMatchObject({ incomplete: 0, droppedSteps: 0, retired: 0 });
    expect(readFileSync(join(dir, 'steps.jsonl'), 'utf8')).toBe(before);
  });
});
