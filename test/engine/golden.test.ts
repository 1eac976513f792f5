/**
 * Golden logs: a fixed small scenario per environment, run through the real
 * engine, must write exactly the logs pinned in test/golden/<env>/ (every
 * field of every line, `timing` dropped, sorted by (rollout, t)). Any change to what
 * the logs say fails here until it is declared by regenerating the goldens:
 *
 *   GOLDEN_UPDATE=1 npx vitest run test/engine/golden.test.ts
 *
 * and committing the diff with the reason. Lines are also checked to be in
 * their byte-canonical form (what JSON.stringify would print), so the
 * comparison after parsing pins the bytes too.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { dropTiming, normalisedLines, tempDir } from '../helpers/run-dir.js';

const GOLDEN = join(process.cwd(), 'test', 'golden');
const UPDATE = process.env.GOLDEN_UPDATE === '1';

type Agent = { name: string; kind: string; params?: Record<string, unknown> };
const noisy: Agent = { name: 'noisy', kind: 'noisy', params: { epsilon: 0.2 } };
const biased: Agent = { name: 'biased', kind: 'biased', params: { rate: 0.3 } };
const random: Agent = { name: 'random', kind: 'random' };
const oracle: Agent = { name: 'oracle', kind: 'oracle' };

/** One small scenario per environment: every agent kind that writes something different, and illegal moves where the environment has them. */
export const GOLDEN_SCENARIOS: Record<string, { params: Record<string, unknown>; horizons: number[]; agents: Agent[] }> = {
  'kv-sum': {
    params: { dictSize: 32, keysPerStep: 2 },
    horizons: [6, 12],
    agents: [
      oracle,
      noisy,
      biased,
      { name: 'selfcond', kind: 'self-conditioning', params: { epsilon0: 0.05, growth: 0.3 } },
      { name: 'ensemble', kind: 'ensemble', params: { inner: { kind: 'noisy', params: { epsilon: 0.3 } }, samples: 3 } },
    ],
  },
  maze: { params: {}, horizons: [4, 10], agents: [oracle, noisy, biased, random] },
  hanoi: { params: {}, horizons: [3, 7], agents: [oracle, noisy, biased, random] },
  quadratic: { params: { condition: 50, stepNorm: 0.005 }, horizons: [5, 10], agents: [oracle, noisy, biased] },
  workflow: { params: { maxFailures: 2 }, horizons: [4, 10], agents: [oracle, noisy, biased, random] },
  inventory: { params: {}, horizons: [5, 10], agents: [oracle, noisy, biased, random] },
  quiz: {
    params: { choices: 4 },
    horizons: [4, 8],
    agents: [oracle, noisy, biased, { name: 'mixed', kind: 'mixed', params: { rate: 0.3, epsilon: 0.2 } }, { name: 'drifting', kind: 'drifting', params: { epsilon0: 0.05, slope: 0.05, cap: 0.5 } }],
  },
};

async function runGolden(env: string, out: string): Promise<void> {
  const g = GOLDEN_SCENARIOS[env];
  const spec = parseScenario({ name: `golden-${env}`, environment: env, params: g.params, horizons: g.horizons, instances: 2, rollouts: 3, seed: 2026, agents: g.agents });
  const scenario = await resolveScenario(spec, REGISTRY, null);
  const summary = await runScenario(scenario, { out, registry: REGISTRY, version: 'golden' });
  expect(summary.status).toBe('finished');
}

const FILES = ['manifest.json', 'rollouts.jsonl', 'steps.jsonl'] as const;

/** A file's records with every `timing` key dropped, as canonical JSON text, sorted by (rollout, t) as the determinism contract says. */
function canonicalRecords(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.json')) return [JSON.stringify(dropTiming(JSON.parse(text)), null, 1)];
  return normalisedLines(path);
}

/** Each line is exactly what JSON.stringify prints for it: no whitespace, no other number spelling. */
function nonCanonicalLine(path: string): string | null {
  for (const line of readFileSync(path, 'utf8').split('\n')) if (line.length > 0 && JSON.stringify(JSON.parse(line)) !== line) return line;
  return null;
}

describe('golden logs', () => {
  it('pins a scenario for every registered environment', () => {
    expect(Object.keys(GOLDEN_SCENARIOS).sort()).toEqual(Object.keys(REGISTRY.environments).sort());
  });

  for (const env of Object.keys(GOLDEN_SCENARIOS)) {
    it(`${env}: the logs match test/golden/${env} field for field`, async () => {
      const out = join(tempDir(), 'run');
      await runGolden(env, out);
      const dir = join(GOLDEN, env);
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const f of FILES) cpSync(join(out, f), join(dir, f));
      }
      for (const f of FILES) {
        expect(existsSync(join(dir, f)), `${dir}/${f} is missing: run with GOLDEN_UPDATE=1 to create it`).toBe(true);
        if (f.endsWith('.jsonl')) expect(nonCanonicalLine(join(out, f)), `${f}: a line is not in canonical JSON form`).toBeNull();
        const want = canonicalRecords(join(dir, f));
        const got = canonicalRecords(join(out, f));
        const first = want.findIndex((line, i) => got[i] !== line);
        const where = first >= 0 ? first : want.length;
        expect(
          { line: where + 1, got: got[where], want: want[where] },
          `${env}/${f} differs from the golden log (undeclared change?). If it is intended, regenerate with GOLDEN_UPDATE=1 and say why in the commit`,
        ).toEqual({ line: where + 1, got: want[where], want: want[where] });
        expect(got.length).toBe(want.length);
      }
    });
  }
});
