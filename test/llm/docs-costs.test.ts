/**
 * Regression: the example costs in docs/llm-agents.md had drifted from what
 * `--dry-run` prints. Every cell of the table is recomputed here from the
 * shipped scenario with the column's model.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { dryRun } from '../../src/workflows/index.js';
import { formatEstimate } from '../../src/cli/llm-flags.js';
import { REGISTRY } from '../../src/cli/registry.js';
import { parseScenario, resolveScenario } from '../../src/engine/index.js';

/** "Haiku 4.5 (as shipped)" → claude-haiku-4-5. */
function modelOf(header: string): string {
  const m = /^(Haiku|Sonnet|Opus) (\d+)\.(\d+)/.exec(header.trim());
  if (!m) throw new Error(`docs table: cannot read a model from column "${header}"`);
  return `claude-${m[1].toLowerCase()}-${m[2]}-${m[3]}`;
}

/** The `total: $X` line of `hotmess run FILE --dry-run` with the agent's model set to `model`. */
async function dryRunTotal(file: string, model: string): Promise<string> {
  const raw = parse(readFileSync(file, 'utf8'));
  raw.agents[0].params.model = model;
  const s = await resolveScenario(parseScenario(raw, file), REGISTRY, file);
  const text = formatEstimate(s.spec.name, dryRun(s));
  return /^total: (\$\d+\.\d+)/m.exec(text)![1];
}

describe('docs/llm-agents.md', () => {
  it('the documented example costs are what --dry-run prints now', async () => {
    const lines = readFileSync('docs/llm-agents.md', 'utf8').split('\n');
    const head = lines.findIndex((l) => l.startsWith('| scenario | Haiku 4.5 (as shipped)'));
    expect(head).toBeGreaterThan(0);
    const models = lines[head].split('|').slice(2, -1).map(modelOf);
    expect(models[0]).toBe('claude-haiku-4-5');
    const rows = lines.slice(head + 2).filter((l) => l.startsWith('| `claude-'));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cells = row.split('|').slice(1, -1).map((c) => c.trim());
      const file = `scenarios/${/`([^`]+)`/.exec(cells[0])![1]}`;
      const documented = cells.slice(1);
      const printed = await Promise.all(models.map((m) => dryRunTotal(file, m)));
      expect({ file, costs: documented }).toEqual({ file, costs: printed });
    }
  });
});
