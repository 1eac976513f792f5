/**
 * The API key: read from the environment only, sent only in the auth
 * header, never written to any file of the run (not even in an error a
 * server echoes back), and its absence stops a run before any rollout.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/commands/run.js';
import { HotmessError, hotmessCommand, setCommandPrefix } from '../../src/core/index.js';
import { cliInvocation } from '../../src/cli/output.js';
import { preflightModelAgents } from '../../src/llm/index.js';
import { hotmessWithEnv } from '../helpers/cli.js';
import { allFiles, cleanup, resolve, rollouts, run, scenarioSpec, SENTINEL_KEY, tempDir } from './helpers.js';
import { apiError, kvSumAnswer, message, startMessagesServer, type MessagesServer } from './server.js';

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer(SENTINEL_KEY, (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } }));
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  cleanup();
});

describe('the API key', () => {
  it('never appears in any file a run writes, even when a server echoes it in an error', async () => {
    // A misbehaving proxy that repeats the credentials in its error message.
    server.handler = (r) => (r.n === 2 ? { status: 400, json: apiError('invalid_request_error', `bad request from ${r.headers.authorization}`) } : message(r.n, { input: { action: kvSumAnswer(r.body) }, text: 'ok' }));
    const dir = tempDir();
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, stringify(scenarioSpec(server.url, { horizons: [2], rollouts: 2 })));
    const out = join(dir, 'run');
    const summary = await runCommand(file, { out, json: true });
    expect(summary.terminations.error).toBe(1);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${SENTINEL_KEY}`)).toBe(true);
    // The body's type goes with every call (a client default header), and its length is the body's.
    expect(server.requests.every((r) => r.headers['content-type'] === 'application/json' && Number(r.headers['content-length']) === Buffer.byteLength(JSON.stringify(r.body)))).toBe(true);
    const failed = rollouts(out).find((r) => r.termination === 'error');
    expect(failed.error).toBe('agent at t=2: anthropic: HTTP 400 invalid_request_error: bad request from Bearer [redacted] (request req_000002)');
    const files = allFiles(out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(expect.arrayContaining(['cache/' + failed.seeds.agent + '.jsonl', 'cost.json', 'manifest.json', 'rollouts.jsonl', 'steps.jsonl']));
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(SENTINEL_KEY);
    // Nor the first half of it: no partial leak either.
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(SENTINEL_KEY.slice(0, 20));
  });

  it('is looked for before any rollout starts; its absence is one line naming the variable', async () => {
    const s = await resolve(scenarioSpec(server.url, { agent: { apiKeyEnv: 'HOTMESS_NO_SUCH_KEY' } }));
    let error: unknown;
    try {
      preflightModelAgents(s.agents, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HotmessError);
    expect((error as HotmessError).code).toBe('agent');
    expect((error as HotmessError).message).toBe(
      `agent "claude" (anthropic): HOTMESS_NO_SUCH_KEY is not set; export your Anthropic API key (or replay a logged run: ${hotmessCommand('run --replay RUN --out DIR')})`,
    );
    // The hint names the CLI as this invocation does, as every other hint does.
    const before = hotmessCommand('').trimEnd();
    setCommandPrefix('hotmess');
    try {
      expect(() => preflightModelAgents(s.agents, {})).toThrow(/\(or replay a logged run: hotmess run --replay RUN --out DIR\)$/);
    } finally {
      setCommandPrefix(before);
    }
    expect(() => preflightModelAgents(s.agents, { HOTMESS_NO_SUCH_KEY: 'x' })).not.toThrow();
    // A library run without the preflight still fails per rollout, with the same cause.
    const out = join(tempDir(), 'run');
    await run(scenarioSpec(server.url, { rollouts: 1, agent: { apiKeyEnv: 'HOTMESS_NO_SUCH_KEY' } }), out);
    expect(rollouts(out)[0].error).toBe('agent at t=1: anthropic: HOTMESS_NO_SUCH_KEY is not set');
    expect(server.requests).toHaveLength(0);
  });

  it('the example scenarios stop at once without ANTHROPIC_API_KEY (exit 5, one line, nothing written)', async () => {
    for (const name of ['claude-kv-sum', 'claude-maze']) {
      const out = join(tempDir(), 'run');
      const r = await hotmessWithEnv({ ANTHROPIC_API_KEY: undefined }, ['run', `scenarios/${name}.yaml`, '--out', out]);
      expect(r.status).toBe(5);
      expect(r.stderr).toBe(`hotmess: agent "haiku" (anthropic): ANTHROPIC_API_KEY is not set; export your Anthropic API key (or replay a logged run: ${cliInvocation()} run --replay RUN --out DIR)\n`);
      expect(existsSync(out)).toBe(false);
    }
  });
});

