/**
 * `export inspect`: every export validates against Inspect's own schema
 * (inspect-openapi.json, components/schemas/EvalLog) with a real JSON-Schema
 * validator (ajv, draft 2020-12); importing an export gives back every
 * incoherence, pass^k and S(t) figure of the original analysis; the
 * observation texts are the ones the agents saw (their hashes match the
 * log); and a full disk leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { analyzeRun, type AnalysisDocument } from '../../src/analysis/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { hashString, isHotmessError } from '../../src/core/index.js';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { exportInspect } from '../../src/export/index.js';
import { importInspect } from '../../src/import/index.js';
import { makeRun, removeRuns } from '../analysis/fixture.js';
import { cleanup, readRun, tempDir } from '../import/helpers.js';
import { inspectLog } from '../import/inspect-fixtures.js';

const SCHEMA_FILE = inspectLog('inspect-openapi.json');
const HAVE = existsSync(SCHEMA_FILE);
const resolveEnvironment = (name: string) => (REGISTRY.environments as Record<string, (typeof REGISTRY.environments)[string] | undefined>)[name];

/** Inspect's EvalLog schema, compiled from the OpenAPI document's components (unknown keywords such as `discriminator` are ignored). */
function evalLogValidator() {
  const doc = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile({ $id: 'inspect-openapi', components: doc.components, $ref: '#/components/schemas/EvalLog' });
}

/** An .eval read back as the EvalLog Inspect assembles from it: header, samples and reductions. */
function evalAsLog(file: string): Record<string, any> {
  const entries = unzipSync(readFileSync(file));
  const json = (name: string) => JSON.parse(Buffer.from(entries[name]).toString('utf8'));
  const samples = Object.keys(entries)
    .filter((n) => n.startsWith('samples/'))
    .map(json);
  return { ...json('header.json'), samples, reductions: json('reductions.json') };
}

const SCENARIO = `
name: export-test
environment: kv-sum
params: { dictSize: 16, keysPerStep: 1 }
horizons: [4, 8]
instances: 3
rollouts: 5
seed: 11
agents:
  - { name: oracle, kind: oracle }
  - { name: noisy, kind: noisy, params: { epsilon: 0.2 } }
  - { name: biased, kind: biased, params: { rate: 0.3 } }
`;

/** Every incoherence, pass^k and S(t) figure of an analysis, by a path. */
function figures(doc: AnalysisDocument): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const h of doc.horizons) {
    const at = `${h.agent}@${h.horizon}`;
    out.set(`${at}.incoherence`, h.incoherence);
    out.set(`${at}.corrected.incoherence`, h.corrected.incoherence);
    for (const [k, v] of Object.entries(h.passK)) out.set(`${at}.passK.${k}`, v);
    for (const s of h.steps) {
      out.set(`${at}.S(${s.t})`, s.survival);
      out.set(`${at}.incoherence(${s.t})`, s.incoherence);
    }
  }
  for (const g of doc.groups) {
    const at = `${g.agent}:${g.horizon}:${g.instance}`;
    out.set(`${at}.incoherence`, g.outcome.incoherence);
    for (const [k, v] of Object.entries(g.passK)) out.set(`${at}.passK.${k}`, v);
    for (const s of g.steps) out.set(`${at}.S(${s.t})`, s.survival);
  }
  return out;
}

function expectSameFigures(a: AnalysisDocument, b: AnalysisDocument): void {
  const fa = figures(a);
  const fb = figures(b);
  expect([...fb.keys()]).toEqual([...fa.keys()]);
  let compared = 0;
  for (const [k, v] of fa) {
    const w = fb.get(k)!;
    if (v === null) expect(w, k).toBeNull();
    else {
      expect(Math.abs(v - w!), k).toBeLessThanOrEqual(1e-9);
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(50);
}

afterAll(() => {
  cleanup();
  removeRuns();
});

describe.skipIf(!HAVE)('export inspect', () => {
  let run: string;
  let original: AnalysisDocument;
  const validate = HAVE ? evalLogValidator() : null;

  beforeAll(async () => {
    run = join(tempDir('hotmess-export-'), 'run');
    const s = await resolveScenario(parseScenario(parseYaml(SCENARIO)), REGISTRY, null);
    await runScenario(s, { out: run, registry: REGISTRY, version: 'test' });
    original = await analyzeRun(run, { resamples: 50 });
  }, 60_000);

  it('the validator is real: it refuses a log missing what the current schema requires', async () => {
    const old = JSON.parse(readFileSync(inspectLog('log_read_sample.json'), 'utf8'));
    expect(validate!(old)).toBe(false);
    expect(validate!.errors!.map((e: { message?: string }) => e.message).join('; ')).toMatch(/invalidated|tags/);
  });

  it.each(['json', 'eval'] as const)('a .%s export validates against Inspect\'s EvalLog schema', async (format) => {
    const file = join(tempDir('hotmess-export-'), `run.${format}`);
    const summary = await exportInspect(run, { out: file, resolveEnvironment });
    expect(summary).toMatchObject({ format, samples: 18, epochs: 5, rollouts: 90 });
    const log = format === 'json' ? JSON.parse(readFileSync(file, 'utf8')) : evalAsLog(file);
    const ok = validate!(log);
    expect(validate!.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(log.version).toBe(2);
    expect(log.samples).toHaveLength(90);
    expect(log.samples[0]).toMatchObject({ id: 'oracle:4:0', epoch: 1, scores: { success: { value: 'C' } } });
    // Each group's figures in the eval's metadata are the analysis's.
    const g = log.eval.metadata.hotmess.groups.find((x: any) => x.sample_id === 'noisy:8:1');
    const a = original.groups.find((x) => x.agent === 'noisy' && x.horizon === 8 && x.instance === 1)!;
    expect(g).toMatchObject({ incoherence: a.outcome.incoherence, biasSq: a.outcome.biasSq, variance: a.outcome.variance });
    expect(log.eval.metadata.hotmess.seed).toBe(11);
    const red = log.reductions[0].samples.find((x: any) => x.sample_id === 'noisy:8:1');
    expect(red.value).toBeCloseTo(a.successes / a.n, 12);
  });

  it.each(['json', 'eval'] as const)('import of a .%s export gives back every incoherence, pass^k and S(t) to 1e-9', async (format) => {
    const dir = tempDir('hotmess-export-');
    const file = join(dir, `run.${format}`);
    await exportInspect(run, { out: file, resolveEnvironment });
    const summary = await importInspect(file, { out: join(dir, 'back') });
    expect(summary.lossless).toBe(true);
    const back = await analyzeRun(join(dir, 'back'), { resamples: 50 });
    expectSameFigures(original, back);
    // The bootstrap is seeded by the run's seed, which the export carries: intervals match too.
    expect(back.horizons.map((h) => h.ci)).toEqual(original.horizons.map((h) => h.ci));
  });

  it('an export whose records were tampered with, or options that cannot apply, are refused in one line', async () => {
    const dir = tempDir('hotmess-export-');
    const file = join(dir, 'run.json');
    await exportInspect(run, { out: file, resolveEnvironment });
    const usage = await importInspect(file, { out: join(dir, 'a'), agent: 'x' }).catch((e: unknown) => e);
    expect(isHotmessError(usage) && usage.code === 'usage' && usage.message).toBe(`--agent does not apply to ${file}: it is a hotmess export, restored exactly as it was exported`);
    const log = JSON.parse(readFileSync(file, 'utf8'));
    log.samples[3].metadata.hotmess.steps[1].rollout = 'oracle:4:0:4';
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(log));
    const err = await importInspect(bad, { out: join(dir, 'b') }).catch((e: unknown) => e);
    expect(isHotmessError(err) && err.code === 'input' && err.message).toBe(`${bad}: samples[3] (id "oracle:4:0", epoch 4): metadata.hotmess.steps[1]: belongs to rollout oracle:4:0:4, not oracle:4:0:3`);
    expect(existsSync(join(dir, 'b'))).toBe(false);
  });

  it('messages carry the observation texts the agents saw (re-derived; their hashes match the log)', async () => {
    const file = join(tempDir('hotmess-export-'), 'run.json');
    const summary = await exportInspect(run, { out: file, resolveEnvironment });
    expect(summary.observations).toBe(summary.steps);
    const log = JSON.parse(readFileSync(file, 'utf8'));
    const sample = log.samples.find((s: any) => s.id === 'noisy:8:2' && s.epoch === 3);
    const steps = sample.metadata.hotmess.steps;
    const users = sample.messages.filter((m: any) => m.role === 'user');
    expect(users).toHaveLength(steps.length);
    users.forEach((m: any, i: number) => expect(hashString(m.content)).toBe(steps[i].obs));
    expect(sample.messages[1].content).toBe(`action: ${JSON.stringify(steps[0].action)}`);
    // Without the environment the texts are not invented: the message names the hash.
    const bare = join(tempDir('hotmess-export-'), 'bare.json');
    expect((await exportInspect(run, { out: bare })).observations).toBe(0);
    expect(JSON.parse(readFileSync(bare, 'utf8')).samples[0].messages[0].content).toMatch(/^\(step 1: observation [0-9a-f]+\)$/);
  });

  it('error and truncated rollouts: sample error and limit; the import keeps them as they were', async () => {
    const fixture = makeRun(
      [
        { index: 0, actions: ['a', 'b'], termination: 'terminated', outcome: { kind: 'coverage', value: [1], target: [1], success: true } },
        { index: 1, actions: ['a', 'c', 'd'], termination: 'truncated', outcome: { kind: 'coverage', value: [0], target: [1], success: false } },
        { index: 2, actions: ['a'], termination: 'error' },
      ],
      { environment: { name: 'test', outcomeKind: 'coverage', measureKind: null, hasFeatures: false } },
    );
    const dir = tempDir('hotmess-export-');
    const file = join(dir, 'fx.json');
    await exportInspect(fixture, { out: file });
    const log = JSON.parse(readFileSync(file, 'utf8'));
    expect(validate!(log)).toBe(true);
    expect(log.samples[1].limit).toEqual({ type: 'custom', limit: 10 });
    expect(log.samples[2].error.message).toBe('boom');
    expect(log.samples[2].scores).toBeUndefined();
    await importInspect(file, { out: join(dir, 'back') });
    expect(readRun(join(dir, 'back')).rollouts).toEqual(readRun(fixture).rollouts);
    expect(readRun(join(dir, 'back')).steps).toEqual(readRun(fixture).steps);
  });

  it('a run whose steps interleave rollouts exports the same records (held in memory instead of streamed)', async () => {
    const fixture = makeRun(
      [0, 1, 2].map((index) => ({ index, actions: ['a', index === 2 ? 'c' : 'b', 'd'], termination: 'terminated' as const, outcome: { kind: 'coverage' as const, value: [1], target: [1], success: true } })),
      { environment: { name: 'test', outcomeKind: 'coverage', measureKind: null, hasFeatures: false } },
    );
    const lines = readFileSync(join(fixture, 'steps.jsonl'), 'utf8').trimEnd().split('\n');
    // t = 1 of every rollout, then t = 2 of every rollout, ...
    const interleaved = [0, 1, 2].flatMap((t) => [0, 1, 2].map((r) => lines[r * 3 + t]));
    writeFileSync(join(fixture, 'steps.jsonl'), interleaved.join('\n') + '\n');
    const dir = tempDir('hotmess-export-');
    const s = await exportInspect(fixture, { out: join(dir, 'i.eval') });
    expect(s).toMatchObject({ rollouts: 3, steps: 9 });
    await importInspect(join(dir, 'i.eval'), { out: join(dir, 'back') });
    const sortSteps = (xs: Array<Record<string, any>>) => [...xs].sort((a, b) => (a.rollout < b.rollout ? -1 : a.rollout > b.rollout ? 1 : a.t - b.t));
    expect(sortSteps(readRun(join(dir, 'back')).steps)).toEqual(sortSteps(readRun(fixture).steps));
  });

  it('--out DIR names the file as Inspect does: <created>_<task>_<id>.eval', async () => {
    const dir = join(tempDir('hotmess-export-'), 'logs');
    const s = await exportInspect(run, { out: dir, resolveEnvironment });
    const [name] = readdirSync(dir);
    expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00_export-test_[0-9a-f]{22}\.eval$/);
    expect(s.file).toBe(join(dir, name));
    // Deterministic: the same run exports to the same name and bytes.
    const again = join(tempDir('hotmess-export-'), 'logs');
    await exportInspect(run, { out: again, resolveEnvironment });
    expect(readFileSync(join(again, name))).toEqual(readFileSync(join(dir, name)));
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk: one-line error, nothing left at --out', async () => {
    const mnt = tempDir('hotmess-tmpfs-');
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const err = await exportInspect(run, { out: join(mnt, 'run.json'), resolveEnvironment }).catch((e: unknown) => e);
      expect(isHotmessError(err)).toBe(true);
      expect((err as Error).message).toMatch(/^cannot write .*run\.json: ENOSPC \(disk full\); nothing was written$/);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
