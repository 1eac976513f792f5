/**
 * Forking an `anthropic` run. Regressions: continuations used to see the
 * replayed steps as synthetic tool calls instead of the source rollout's
 * real replies (its text, its tool-use ids), and `--step 0` continuations
 * had no `forkedAt`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { forkCommand } from '../../src/cli/commands/fork.js';
import { formatTotals } from '../../src/cli/llm-flags.js';
import { cleanup, rollouts, run, scenarioSpec, SENTINEL_KEY, tempDir } from './helpers.js';
import { kvSumAnswer, message, startMessagesServer, type Handler, type MessagesServer } from './server.js';

/** Replies with text the model "wrote", so a turn rebuilt from the action alone is told apart. */
const talkative: Handler = (r) => message(r.n, { text: `Adding the new keys (reply ${r.n}).`, input: { action: kvSumAnswer(r.body) } });

let server: MessagesServer;
beforeAll(async () => {
  server = await startMessagesServer(SENTINEL_KEY, talkative);
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  cleanup();
});

const ROLLOUT = 'claude:4:0:0';

/** A one-rollout source run of 4 steps; returns its directory and the requests it made, by step. */
async function sourceRun() {
  const src = join(tempDir(), 'src');
  await run(scenarioSpec(server.url, { horizons: [4], rollouts: 1 }), src);
  const requests = server.requests.map((r) => r.body);
  server.requests.length = 0;
  return { src, requests };
}

describe('fork of an anthropic run', () => {
  it('continuations see the source rollout’s real replies for the replayed steps, not synthetic tool calls', async () => {
    const { src, requests } = await sourceRun();
    expect(requests).toHaveLength(4);
    const out = join(tempDir(), 'fork');
    const { summary, llm } = await forkCommand(src, { rollout: ROLLOUT, step: '2', samples: '2', out, json: true });
    expect(summary.status).toBe('finished');
    // Steps 1–2 are replayed with no call; each continuation pays for steps 3 and 4.
    expect(server.requests).toHaveLength(4);
    const firsts = server.requests.filter((r) => r.body.messages.length === requests[2].messages.length);
    expect(firsts).toHaveLength(2);
    // The continuation's step-3 request is the source's step-3 request, byte for byte: same text, same tool-use ids.
    for (const f of firsts) expect(f.body).toEqual(requests[2]);
    const assistant = firsts[0].body.messages.filter((m) => m.role === 'assistant');
    expect(assistant[0].content).toEqual([
      { type: 'text', text: 'Adding the new keys (reply 1).' },
      { type: 'tool_use', id: 'toolu_000001', name: 'act', input: expect.any(Object) },
    ]);
    expect(llm?.forkPrefix).toEqual({ steps: 2, realReplies: 2 });
    expect(formatTotals(llm!)).not.toMatch(/bare tool calls/);
  });

  it('without the source cache, the replayed steps are shown as bare tool calls, and the run says so', async () => {
    const { src } = await sourceRun();
    rmSync(join(src, 'cache'), { recursive: true });
    const out = join(tempDir(), 'fork');
    const { llm } = await forkCommand(src, { rollout: ROLLOUT, step: '2', samples: '1', out, json: true });
    const assistant = server.requests[0].body.messages.filter((m) => m.role === 'assistant');
    expect(assistant[0].content).toEqual([{ type: 'tool_use', id: 'toolu_hm_1', name: 'act', input: expect.any(Object) }]);
    expect(llm?.forkPrefix).toEqual({ steps: 2, realReplies: 0 });
    expect(formatTotals(llm!)).toMatch(/the source run's cache holds 0 of the 2 replayed replies; the others are shown to the model as bare tool calls/);
  });

  it('fork --step 0: every continuation record has forkedAt 0', async () => {
    const { src } = await sourceRun();
    const out = join(tempDir(), 'fork');
    const { summary } = await forkCommand(src, { rollout: ROLLOUT, step: '0', samples: '2', out, json: true });
    expect(summary.ran).toBe(2);
    const recs = rollouts(out);
    expect(recs).toHaveLength(2);
    for (const r of recs) expect(r.forkedAt).toBe(0);
  });
});
