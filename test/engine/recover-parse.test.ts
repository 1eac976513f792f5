/** Issue 10, item 11: recovery parses step lines instead of pattern-matching the writer's bytes. */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, resolveScenario, runScenario } from '../../src/engine/index.js';
import { recoverRun } from '../../src/log/index.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { tempDir } from '../helpers/run-dir.js';

describe('recovery', () => {
  it('keeps finished step lines whose spacing or key order differs from the writer, byte for byte', async () => {
    const dir = join(tempDir(), 'run');
    const s = await resolveScenario(parseScenario({ name: 'r', environment: 'kv-sum', horizons: [5], instances: 2, rollouts: 3, seed: 2, agents: [{ name: 'o', kind: 'oracle' }] }), REGISTRY, null);
    await runScenario(s, { out: dir, registry: REGISTRY, version: 'test' });
    const file = join(dir, 'steps.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // As jq or a notebook might write them back: spaced, or with the keys in another order.
    const edited = lines.map((l, i) => (i % 3 === 0 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '') : i % 3 === 1 ? JSON.stringify({ t: JSON.parse(l).t, ...JSON.parse(l) }) : l));
    const text = edited.join('\n') + '\n';
    writeFileSync(file, text);
    const r = await recoverRun(dir);
    expect(r).toMatchObject({ droppedSteps: 0, incomplete: 0, tornLines: 0 });
    expect(r.finished.size).toBe(6);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
