/**
 * Issue 10, items 13–15 and 18: inputs that slipped through validation.
 * Each is refused before any work, in one line naming the field; the
 * limits still admit every real sweep; a resume accepts changes that alter
 * no rollout and names the fields of one that does.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError } from '../../src/core/index.js';
import { LIMITS, checkForkSamples, loadScenario, parseScenario, planRollouts, planSize, resolveScenario, runScenario } from '../../src/engine/index.js';
import { playScenario } from '../../src/workflows/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { readJsonlFile, tempDir } from '../helpers/run-dir.js';
import { hotmess } from '../helpers/cli.js';

const BASE = { name: 'in', environment: 'kv-sum', horizons: [4], instances: 1, rollouts: 2, seed: 1, agents: [{ name: 'o', kind: 'oracle' }] };

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HotmessError) return e.message;
    throw e;
  }
  throw new Error('not refused');
}

async function asyncRefusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HotmessError) return e.message;
    throw e;
  }
  throw new Error('not refused');
}

describe('seed', () => {
  it('a bad one is refused saying what a seed may be, and every kind of good one passes', () => {
    const rule = 'a seed is a whole number from 0 to 2^53 − 1 (9007199254740991) or a non-empty string, e.g. 1 or "pilot-a"';
    const bad: [unknown, string][] = [
      [-1, '-1'],
      [1.5, '1.5'],
      [2 ** 53, '9007199254740992'],
      ['', '""'],
      [null, 'null'],
      [[1], '[1]'],
      [undefined, 'none'],
    ];
    for (const [seed, got] of bad) expect(refusal(() => parseScenario({ ...BASE, seed }, 's.yaml')), String(seed)).toBe(`s.yaml: seed: ${rule}; got ${got}`);
    for (const seed of [0, 2 ** 53 - 1, 'pilot-a']) expect(parseScenario({ ...BASE, seed }, 's.yaml').seed).toBe(seed);
  });
});

describe('duplicate horizons (13)', () => {
  it('are refused, naming the second one, so no rollout is written twice', () => {
    expect(refusal(() => parseScenario({ ...BASE, horizons: [8, 16, 8] }, 's.yaml'))).toBe('s.yaml: horizons.2: duplicate horizon 8 (also horizons.0); each horizon is run once');
  });
});

describe('sizes (14)', () => {
  it('refuse a billion rollouts at validation, before any plan is built', () => {
    const msg = refusal(() => parseScenario({ ...BASE, rollouts: 1_000_000_000 }, 's.yaml'));
    expect(msg).toBe('s.yaml: rollouts: the run would have 1,000,000,000 rollouts (agents × horizons × instances × rollouts); the limit is 1,000,000');
    expect(refusal(() => parseScenario({ ...BASE, horizons: [100_000], rollouts: 10_000 }, 's.yaml'))).toMatch(/^s\.yaml: horizons: the run could take 1,000,000,000 steps .*the limit is 100,000,000$/);
    expect(refusal(() => parseScenario({ ...BASE, concurrency: 1025 }, 's.yaml'))).toMatch(/^s\.yaml: concurrency: /);
    expect(refusal(() => checkForkSamples(1_000_000_000))).toBe('--samples 1000000000: at most 100,000 continuations per fork');
  });

  it('admit a 10⁷-step run (horizon 10,000 × 1,000 rollouts), concurrency 1,024 and 100,000 fork samples', async () => {
    const s = await resolveScenario(parseScenario({ ...BASE, horizons: [10_000], rollouts: 1000, concurrency: LIMITS.concurrency }), REGISTRY, null);
    expect(planSize(s)).toBe(1000);
    expect(() => checkForkSamples(100_000)).not.toThrow();
  });

  it('plan lazily: a run at the rollout limit starts at once and stops on Ctrl-C (abort) with what it finished', async () => {
    const spec = { ...BASE, horizons: [1], instances: 1000, rollouts: 1000 };
    const s = await resolveScenario(parseScenario(spec), REGISTRY, null);
    expect(planSize(s)).toBe(LIMITS.rollouts);
    const plan = planRollouts(s);
    expect(plan.next().value?.id).toBe('o:1:0:0');
    const controller = new AbortController();
    const out = join(tempDir(), 'run');
    const summary = await runScenario(s, {
      out,
      registry: REGISTRY,
      version: 'test',
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 500) controller.abort();
      },
    });
    expect(summary.status).toBe('interrupted');
    expect(summary.ran).toBeGreaterThanOrEqual(500);
    expect(summary.ran).toBeLessThan(50_000);
    expect(readJsonlFile(join(out, 'rollouts.jsonl'))).toHaveLength(summary.ran);
  });
});

describe('horizons an environment cannot hold (15)', () => {
  it('are refused by validation, play and scenario describe, naming the limit', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.yaml');
    writeFileSync(file, 'name: big\nenvironment: maze\nhorizons: [8, 1000000000000]\nrollouts: 1\nseed: 1\nagents:\n  - { name: o, kind: oracle }\n');
    // Every problem in one pass: the environment's limit and the run's step limit.
    expect((await asyncRefusal(loadScenario(file, REGISTRY))).split('\n')).toEqual([
      `${file}: horizons: the run could take 1,000,000,000,008 steps (Σ horizons × instances × rollouts × agents); the limit is 100,000,000`,
      `${file}: horizons.1: maze holds horizons up to 10,000; 1,000,000,000,000 is longer`,
    ]);
    expect(await asyncRefusal(playScenario({ env: 'kv-sum', horizon: 1e12 }, REGISTRY))).toBe('--horizon 1000000000000: kv-sum holds horizons up to 1,000,000; 1,000,000,000,000 is longer');
    const described = await hotmess('scenario', 'describe', file);
    expect(described.status).toBe(2);
    expect(described.stderr).toMatch(/\n.*horizons\.1: maze holds horizons up to 10,000/);
    expect(described.stderr).not.toMatch(/internal error/);
  }, 60_000);

  it('every shipped environment declares its maximum', () => {
    for (const [name, env] of Object.entries(REGISTRY.environments)) expect(env.maxHorizon, name).toBeGreaterThanOrEqual(1000);
  });
});

describe('resume hash (18)', () => {
  it('accepts a change that alters no rollout (concurrency, description, name) and names the fields of one that does', async () => {
    const out = join(tempDir(), 'run');
    const first = await resolveScenario(parseScenario(BASE), REGISTRY, null);
    await runScenario(first, { out, registry: REGISTRY, version: 'test' });
    const cosmetic = await resolveScenario(parseScenario({ ...BASE, concurrency: 4, description: 'now documented' }), REGISTRY, null);
    const again = await runScenario(cosmetic, { out, registry: REGISTRY, version: 'test', resume: true });
    expect(again).toMatchObject({ status: 'finished', skipped: 2, ran: 0 });
    const changed = await resolveScenario(parseScenario({ ...BASE, seed: 2, rollouts: 3 }), REGISTRY, null);
    expect(await asyncRefusal(runScenario(changed, { out, registry: REGISTRY, version: 'test', resume: true }))).toBe(
      `${out}: was written by a different scenario: rollouts (was 2, now 3); seed (was 1, now 2); refusing to mix runs (resume with the run's own scenario, or choose another --out)`,
    );
  });
});
