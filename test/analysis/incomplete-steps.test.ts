/**
 * Issue 10, item 12: every reader checks that a committed rollout's steps
 * run 1..length. analyze and replay refuse a run whose counts disagree, in
 * one line with exit 4; a torn last line (an uncommitted write) is skipped
 * with a warning.
 */
import { describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';
import { hotmess } from '../helpers/cli.js';

const SPEC = { name: 'gaps', environment: 'kv-sum', horizons: [6], instances: 2, rollouts: 3, seed: 4, agents: [{ name: 'o', kind: 'oracle' }] };

async function run(): Promise<string> {
  const dir = join(tempDir(), 'run');
  await runScenario(await resolveScenario(parseScenario(SPEC), REGISTRY, null), { out: dir, registry: REGISTRY, version: 'test' });
  return dir;
}

/** Rewrite steps.jsonl keeping the lines `keep` accepts. */
function editSteps(dir: string, keep: (rec: { rollout: string; t: number }) => boolean): void {
  const file = join(dir, 'steps.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const kept = lines.filter((l) => keep(JSON.parse(l)));
  writeFileSync(file, kept.length > 0 ? kept.join('\n') + '\n' : '');
}

async function bothRefuse(dir: string, pattern: RegExp): Promise<void> {
  for (const args of [['analyze', dir, '--bootstrap', '0'], ['replay', dir, '--plain', '--no-index-cache']]) {
    const r = await hotmess(...args);
    expect(r.status, `${args[0]}: ${r.stderr}`).toBe(4);
    expect(r.stderr.trim().split('\n'), args[0]).toHaveLength(1);
    expect(r.stderr, args[0]).toMatch(pattern);
  }
}

describe('a committed rollout whose steps do not run 1..length', () => {
  it('a step missing in the middle is refused, not counted as a divergence', async () => {
    const dir = await run();
    editSteps(dir, (s) => !(s.rollout === 'o:6:1:2' && s.t === 3));
    await bothRefuse(dir, /rollout o:6:1:2 (has no line for step 3|has 5 step lines for its recorded length 6)/);
  });

  it('an empty steps.jsonl, and a rollout without steps, are refused', async () => {
    const dir = await run();
    editSteps(dir, () => false);
    await bothRefuse(dir, /rollout o:6:0:0 has 0 (of its 6 steps|step lines)/);
    const other = await run();
    editSteps(other, (s) => s.rollout !== 'o:6:0:1');
    await bothRefuse(other, /rollout o:6:0:1 has 0 (of its 6 steps|step lines)/);
  });

  it('a torn last line is skipped with a warning, and both still succeed', async () => {
    const dir = await run();
    appendFileSync(join(dir, 'steps.jsonl'), '{"rollout":"o:6:9:9","t":1,"act');
    const analyzed = await hotmess('analyze', dir, '--bootstrap', '0');
    expect(analyzed.status, analyzed.stderr).toBe(0);
    expect(analyzed.stderr).toMatch(/torn last line/);
    const replayed = await hotmess('replay', dir, '--plain', '--no-index-cache');
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/torn last line/);
  });
});
