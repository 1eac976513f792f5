/**
 * Regression: a wrong API key (401/403) or an unreachable server made every
 * rollout end in `error` while the run kept going, paying for nothing. Such
 * a fault now stops the whole run at once (status interrupted, exit 5 or 6,
 * one line naming the cause); transient faults still fail one rollout only.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/commands/run.js';
import { EXIT_CODES } from '../../src/core/index.js';
import { KEY_ENV, rollouts, runCli, scenarioSpec, SENTINEL_KEY, tempDir, useMessagesServer } from './helpers.js';
import { apiError, kvSumAnswer, message, startMessagesServer, type Handler, type MessagesServer } from './server.js';

const right: Handler = (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
useMessagesServer(right, (s) => (server = s));

/** The error lines of a CLI run (stderr also carries progress lines); never a stack trace. */
function errorLines(stderr: string): string[] {
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr.split('\n').filter((l) => l.startsWith('hotmess:'));
}

function scenarioFile(baseURL: string, o: Parameters<typeof scenarioSpec>[1] = {}): { file: string; out: string } {
  const dir = tempDir();
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, stringify(scenarioSpec(baseURL, { horizons: [2], rollouts: 4, concurrency: 1, ...o })));
  return { file, out: join(dir, 'run') };
}

describe('faults that doom every call stop the run', () => {
  it('a wrong API key (401) stops the whole run at once with exit code 5 and one line naming the key variable', async () => {
    const { file, out } = scenarioFile(server.url);
    const r = await runCli(['run', file, '--out', out], { [KEY_ENV]: 'sk-ant-wrong-key-123' });
    expect(r.status, r.stderr).toBe(EXIT_CODES.agent);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^hotmess: authentication failed \\(HTTP 401\\) for agent "claude": check ${KEY_ENV}; .* --resume$`));
    expect(r.stderr + r.stdout).not.toContain('sk-ant-wrong-key-123');
    // One refused request, then nothing more: the other three rollouts never started.
    expect(server.unauthorized).toBeGreaterThanOrEqual(1);
    expect(rollouts(out)).toHaveLength(1);
    expect(r.stdout).toMatch(/\(interrupted\)/);
  });

  it('a 403 (permission) stops the run too; the remaining rollouts make no request', async () => {
    server.handler = () => ({ status: 403, json: apiError('permission_error', 'this key may not use this model') });
    const { file, out } = scenarioFile(server.url, { concurrency: 2 });
    const summary = await runCommand(file, { out, json: true });
    expect(summary.status).toBe('interrupted');
    expect(summary.stoppedBecause).toBe(`permission denied (HTTP 403) for agent "claude" (permission_error: this key may not use this model): check ${KEY_ENV} and its access to model "claude-haiku-4-5"`);
    expect(summary.llm?.halted).toEqual({ code: 'agent', reason: summary.stoppedBecause });
    // Two rollouts were in flight when the first 403 came back; no third one started.
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(summary.ran).toBeLessThanOrEqual(2);
  });

  it('an unreachable server stops the run with exit code 6 and names the base URL, never the key', async () => {
    const spare = await startMessagesServer(SENTINEL_KEY, right);
    const dead = spare.url;
    await spare.close();
    const { file, out } = scenarioFile(dead, { agent: { maxRetries: 1 } });
    const r = await runCli(['run', file, '--out', out]);
    expect(r.status, r.stderr).toBe(EXIT_CODES.network);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^hotmess: cannot reach the Messages API at ${dead.replace(/[.]/g, '\\.')}/? for agent "claude" \\(ECONNREFUSED after 1 retry\\): check the agent's baseURL, ANTHROPIC_BASE_URL and the network; .* --resume$`));
    expect(r.stderr + r.stdout).not.toContain(SENTINEL_KEY);
    expect(rollouts(out)).toHaveLength(1);
  });

  it('a transient fault (529) still fails one rollout and the run goes on', async () => {
    server.handler = (r) => (r.n === 1 ? { status: 529, json: apiError('overloaded_error', 'Overloaded') } : right(r));
    const { file, out } = scenarioFile(server.url);
    const summary = await runCommand(file, { out, json: true });
    expect(summary.status).toBe('finished');
    expect(summary.terminations).toEqual({ terminated: 3, truncated: 0, error: 1 });
    expect(summary.llm?.halted).toBeNull();
  });
});
