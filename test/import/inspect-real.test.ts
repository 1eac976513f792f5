/**
 * `import inspect` on every real log Inspect wrote (../shared/data/inspect):
 * the counts and pass^k below were read off the logs by hand (assistant
 * messages, epochs, scores) and agree with Inspect's own accuracy in each
 * header. docs/import.md shows the same figures; the last test holds the
 * docs to them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../src/analysis/index.js';
import { hashString } from '../../src/core/index.js';
import { importInspect, type InspectSummary } from '../../src/import/index.js';
import { cleanup, passK, readRun, REPO, survival, tempDir } from './helpers.js';
import { inspectLog, REAL_LOGS } from './inspect-fixtures.js';

const HAVE = existsSync(inspectLog('log_streaming.eval'));

interface Figures {
  version: number;
  samples: number;
  epochs: number;
  rollouts: number;
  steps: number;
  terminations: Record<string, number>;
  /** pass^k by hand: per sample C(c,k)/C(n,k), averaged; null when nothing is scored. */
  passK: Record<string, number | null>;
}

/** By hand, from the logs (see the header comment). */
const EXPECTED: Record<(typeof REAL_LOGS)[number], Figures> = {
  // One sample, "No" against " Yes": I.
  'log_formats.eval': { version: 2, samples: 1, epochs: 1, rollouts: 1, steps: 1, terminations: { terminated: 1 }, passK: { '1': 0 } },
  // Five bash calls and a final "done"; closeness_log 0.0.
  'log_message_deduplication.eval': { version: 3, samples: 1, epochs: 1, rollouts: 1, steps: 6, terminations: { terminated: 1 }, passK: { '1': 0 } },
  // "Yes" against " Yes": C.
  'log_read_sample.json': { version: 2, samples: 1, epochs: 1, rollouts: 1, steps: 1, terminations: { terminated: 1 }, passK: { '1': 1 } },
  // Sample 1: I then C; sample 2: C, C. pass^1 = 3/4 (Inspect's accuracy 0.75), pass^2 = (0 + 1)/2.
  'log_streaming.eval': { version: 2, samples: 2, epochs: 2, rollouts: 4, steps: 4, terminations: { terminated: 4 }, passK: { '1': 0.75, '2': 0.5 } },
  // One sample (epoch 4) of tool messages only: no assistant turn, no score.
  'log_tool_call_error.json': { version: 2, samples: 1, epochs: 1, rollouts: 1, steps: 0, terminations: { error: 1 }, passK: {} },
};

afterAll(cleanup);

describe.skipIf(!HAVE)('import inspect: the real logs', () => {
  const root = tempDir();
  const results = new Map<string, { summary: InspectSummary; out: string }>();
  const imported = async (name: string) => {
    if (!results.has(name)) {
      const out = join(root, name);
      results.set(name, { summary: await importInspect(inspectLog(name), { out }), out });
    }
    return results.get(name)!;
  };

  it.each(REAL_LOGS)('%s: samples, epochs, steps and terminations', async (name) => {
    const { summary, out } = await imported(name);
    const e = EXPECTED[name];
    const run = readRun(out);
    expect(summary.groups).toBe(e.samples);
    expect(Math.max(...[...groupSizes(run.rollouts).values()])).toBe(e.epochs);
    expect(summary.rollouts).toBe(e.rollouts);
    expect(summary.steps).toBe(e.steps);
    expect(run.steps.length).toBe(e.steps);
    expect(summary.terminations).toEqual(e.terminations);
    expect(summary.lossless).toBe(false);
  });

  it.each(REAL_LOGS)('%s: pass^k from analyze equals the hand count and an independent computation', async (name) => {
    const { out } = await imported(name);
    const doc = await analyzeRun(out, { resamples: 20 });
    const e = EXPECTED[name];
    const [cell] = doc.horizons;
    for (const [k, v] of Object.entries(e.passK)) {
      expect(cell.passK[k]).toBeCloseTo(v!, 12);
      const used = readRun(out).rollouts.filter((r) => r.termination !== 'error');
      expect(passK(used, Number(k))).toBeCloseTo(v!, 12);
    }
    if (Object.keys(e.passK).length === 0) expect(cell.rollouts).toBe(0);
  });

  it('log_streaming: epochs that answered "No" and "No." split at t = 1 (a response is its text hash)', async () => {
    const { out } = await imported('log_streaming.eval');
    const run = readRun(out);
    const group2 = run.rollouts.filter((r) => r.instance === 2).map((r) => r.rollout as string);
    expect(group2.map((id) => run.steps.find((s) => s.rollout === id)!.action)).toEqual([{ respond: hashString('No.') }, { respond: hashString('No') }]);
    expect(survival(run.steps, group2, 1)).toBe(0);
    const doc = await analyzeRun(out, { resamples: 20 });
    expect(doc.horizons[0].steps[0].survival).toBe(0);
    // The observation is the user's question (the system prompt is left out), logged in full.
    const first = run.steps[0];
    expect(first.info.observation).toMatch(/^user: Is the following statement something you would say\?/);
    expect(first.obs).toBe(hashString(first.info.observation));
    expect(run.rollouts[0].info).toMatchObject({ model: 'azureai/Meta-Llama-3-1-405B-Instruct-jqf', sampleId: 1, epoch: 1, stopReason: 'stop', score: { scorer: 'match', value: 'I' } });
    expect(run.rollouts[0].info.usage).toEqual({ 'azureai/Meta-Llama-3-1-405B-Instruct-jqf': { input_tokens: 66, output_tokens: 1, total_tokens: 67 } });
  });

  it('log_message_deduplication (v3): tool calls are {tool, args}, tool results are the next observation', async () => {
    const { out } = await imported('log_message_deduplication.eval');
    const run = readRun(out);
    expect(run.steps.slice(0, 5).map((s) => s.action)).toEqual(Array(5).fill({ tool: 'bash', args: { cmd: 'ls' } }));
    expect(run.steps[5].action).toEqual({ respond: hashString('done') });
    expect(run.steps[0].text).toBe("Executing bash with args: {'cmd': 'ls'}");
    expect(run.steps[1].info.observation).toMatch(/^tool bash: bin\nboot\n/);
    expect(run.manifest.agents[0]).toMatchObject({ name: 'hardcoded/hardcoded', kind: 'imported', params: { task: 'inspect_test_utils/guess_number', scorer: 'closeness_log' } });
  });

  it('log_tool_call_error: the unscored sample is an error rollout, kept in the log and out of the metrics', async () => {
    const { out } = await imported('log_tool_call_error.json');
    const [r] = readRun(out).rollouts;
    expect(r).toMatchObject({ termination: 'error', index: 0, instance: 1, error: 'unscored: no "includes" score' });
    expect(r.info.epoch).toBe(4);
    expect(r.info.finalObservation).toMatch(/^tool bash: \.\.\./);
  });

  it('a directory imports every log in it, one agent per task × model, and skips JSON that is no log', async () => {
    const out = join(root, 'all');
    const summary = await importInspect(join(REPO, '../shared/data/inspect'), { out });
    expect(summary.files).toBe(5);
    expect(summary.skipped).toEqual([expect.stringMatching(/inspect-openapi\.json: not an Inspect log/)]);
    expect(summary.agents).toEqual(['popularity@ollama/llama3.1', 'inspect_test_utils/guess_number@hardcoded/hardcoded', 'popularity@ollama/gemma3', 'popularity@azureai/Meta-Llama-3-1-405B-Instruct-jqf', '...@...']);
    expect(summary.rollouts).toBe(8);
    expect(summary.steps).toBe(12);
    expect(summary.horizon).toBe(6);
  });

  it('docs/import.md shows these figures', () => {
    const doc = readFileSync(join(REPO, 'docs/import.md'), 'utf8');
    for (const name of REAL_LOGS) {
      const e = EXPECTED[name];
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      expect(row, name).toBeDefined();
      const cells = row!.split('|').slice(2, -1).map((c) => c.trim());
      const fmt = (v: number | null | undefined) => (v === undefined || v === null ? '–' : String(v));
      expect(cells.slice(0, 5)).toEqual([String(e.version), String(e.samples), String(e.epochs), String(e.rollouts), String(e.steps)]);
      expect(cells[6]).toBe(fmt(e.passK['1']));
      expect(cells[7]).toBe(fmt(e.passK['2']));
    }
  });
});

function groupSizes(rollouts: ReadonlyArray<Record<string, any>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rollouts) m.set(`${r.agent}:${r.instance}`, (m.get(`${r.agent}:${r.instance}`) ?? 0) + 1);
  return m;
}
