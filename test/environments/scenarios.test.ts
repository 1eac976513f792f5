import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEnvironment } from '../../src/core/index.js';
import { loadScenario } from '../../src/engine/index.js';
import { REGISTRY } from '../../src/cli/registry.js';

import { readdirSync } from 'node:fs';
import { ENVIRONMENTS } from '../../environments/index.js';

/** Every registered environment ships a sweep. */
const ENVS = Object.keys(ENVIRONMENTS);

describe('environment sweep scenarios', () => {
  it('ships one sweep per registered environment, plus the demo', () => {
    const files = readdirSync(fileURLToPath(new URL('../../scenarios/', import.meta.url)));
    for (const env of ENVS) expect(files).toContain(`${env}-sweep.yaml`);
    expect(files).toContain('demo.yaml');
  });

  for (const env of ENVS) {
    it(`scenarios/${env}-sweep.yaml resolves and its smallest horizons pass the checker`, async () => {
      const file = fileURLToPath(new URL(`../../scenarios/${env}-sweep.yaml`, import.meta.url));
      const s = await loadScenario(file, REGISTRY);
      expect(s.spec.name).toBe(`${env}-sweep`);
      expect(s.env.name).toBe(env);
      expect(s.agents.map((a) => a.kind)).toContain('oracle');
      expect(checkEnvironment(s.env, s.envParams, s.spec.horizons.slice(0, 2))).toEqual([]);
    });
  }
});
