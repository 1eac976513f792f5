import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hotmess } from '../helpers/cli.js';
import { tempDir } from '../helpers/run-dir.js';

const validate = async (yaml: string) => {
  const file = join(tempDir(), 'bad.yaml');
  writeFileSync(file, yaml);
  const r = await hotmess('scenario', 'validate', file);
  return { ...r, file };
};

const GOOD = `name: ok
environment: kv-sum
horizons: [4]
rollouts: 2
seed: 1
agents:
  - { name: n, kind: noisy, params: { epsilon: 0.1 } }
`;

describe('scenario validation', async () => {
  it('accepts a valid file', async () => {
    const r = await validate(GOOD);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/valid/);
  });

  it('reports every problem as one line naming the field path, with exit code 2 and no stack trace', async () => {
    const r = await validate(`name: bad name
environment: kv-sum
horizons: [4, -1]
rollouts: 0
seed: 1
agents:
  - { name: n, kind: noisy, params: { epsilon: 0.1 } }
colour: blue
`);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.some((l) => l.includes(`${r.file}: name:`))).toBe(true);
    expect(lines.some((l) => l.includes('horizons.1'))).toBe(true);
    expect(lines.some((l) => l.includes('rollouts'))).toBe(true);
    expect(lines.some((l) => /colour/.test(l))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names unknown plugins with a suggestion, and bad plugin params by path', async () => {
    const r = await validate(GOOD.replace('kind: noisy', 'kind: noisey').replace('kv-sum', 'kv-summ'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/environment: unknown environment "kv-summ"; \(did you mean "kv-sum"\?\)/);
    expect(r.stderr).toMatch(/agents\.0\.kind: unknown agent kind "noisey"; \(did you mean "noisy"\?\)/);
    const p = await validate(GOOD.replace('epsilon: 0.1', 'epsilon: 2').replace('horizons: [4]', 'horizons: [4]\nparams: { dictSize: 0 }'));
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/agents\.0\.params\.epsilon:/);
    expect(p.stderr).toMatch(/params\.dictSize:/);
  });

  it('reports invalid YAML and a missing file as one line', async () => {
    const y = await validate('name: [unclosed\n');
    expect(y.status).toBe(2);
    expect(y.stderr).toMatch(/invalid YAML/);
    expect(y.stderr.trim().split('\n')).toHaveLength(1);
    const m = await hotmess('scenario', 'validate', '/nonexistent/x.yaml');
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/not found/);
  });
});
