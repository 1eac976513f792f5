/**
 * `--workers` with a model-backed agent: its rollouts stay in the main
 * process (the run's one limiter, budget and cost ledger), the scripted
 * agent's go to worker processes, and the key is written nowhere.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { allFiles, runCli, scenarioSpec, SENTINEL_KEY, tempDir, useMessagesServer } from '../llm/helpers.js';
import { kvSumAnswer, message, type MessagesServer } from '../llm/server.js';
import { normalisedLines, readJsonlFile } from '../helpers/run-dir.js';

let server: MessagesServer;
useMessagesServer((r) => message(r.n, { input: { action: kvSumAnswer(r.body) } }), (s) => (server = s));

describe('run --workers with a model-backed agent', () => {
  it('keeps model rollouts in the main process and gives the scripted agent the logs of --workers 1', async () => {
    const base = scenarioSpec(server.url, { horizons: [3], rollouts: 3, concurrency: 2 });
    const spec = { ...base, agents: [...base.agents, { name: 'noisy', kind: 'noisy', params: { epsilon: 0.3 } }] };
    const dir = tempDir();
    const file = join(dir, 'mixed.yaml');
    writeFileSync(file, stringify(spec));
    const one = await runCli(['run', file, '--out', join(dir, 'one')]);
    expect(one.status).toBe(0);
    const callsOne = server.requests.length;
    server.requests.length = 0;
    const two = await runCli(['run', file, '--out', join(dir, 'two'), '--workers', '2']);
    expect(two.stderr.split('\n').filter((l) => l.startsWith('hotmess:'))).toEqual([]);
    expect(two.status).toBe(0);
    // Every model step called the server once, from this process, as with one worker.
    expect(callsOne).toBe(9);
    expect(server.requests.length).toBe(9);
    // ...and was paid through this process's ledger: a worker process has none, so its calls would leave no reply lines.
    const replies = (run: string) => readJsonlFile<{ kind: string }>(join(dir, run, 'cost.jsonl')).filter((l) => l.kind === 'reply').length;
    expect(replies('one')).toBe(9);
    expect(replies('two')).toBe(9);
    const noisy = (run: string, f: string) => normalisedLines(join(dir, run, f)).filter((l) => l.startsWith('{"rollout":"noisy:'));
    for (const f of ['steps.jsonl', 'rollouts.jsonl']) expect(noisy('two', f)).toEqual(noisy('one', f));
    const outcomes = (run: string) =>
      readJsonlFile<{ rollout: string; outcome: unknown; termination: string }>(join(dir, run, 'rollouts.jsonl'))
        .map((r) => `${r.rollout} ${r.termination} ${JSON.stringify(r.outcome)}`)
        .sort();
    expect(outcomes('two')).toEqual(outcomes('one'));
    expect(outcomes('two')).toHaveLength(6);
    for (const f of allFiles(join(dir, 'two'))) expect(readFileSync(f, 'utf8')).not.toContain(SENTINEL_KEY);
  });
});
