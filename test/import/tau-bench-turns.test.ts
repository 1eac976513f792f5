/**
 * The τ-bench turn mapping on small hand-written records, so the exact
 * steps, observations and terminations are known in advance.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashString } from '../../src/core/index.js';
import { importTauBench } from '../../src/import/index.js';
import { cleanup, readRun, tempDir } from './helpers.js';

const SYSTEM = { role: 'system', content: '# Retail Agent Policy\n\nBe helpful.' };
const call = (name: string, args: string) => ({ id: `call_${name}`, type: 'function', function: { name, arguments: args } });

/** Task 7, trial 0: a message, a tool call with text, two calls in one turn, a reply, then the user stops. */
const stopped = {
  task_id: 7,
  trial: 0,
  reward: 1.0,
  info: { task: { instruction: 'You are ann. Cancel order #1.' } },
  traj: [
    SYSTEM,
    { role: 'user', content: 'Hi, cancel my order.' },
    { role: 'assistant', content: 'Sure. Your user id?' },
    { role: 'user', content: 'ann_1' },
    { role: 'assistant', content: 'Looking it up.', tool_calls: [call('get_user', '{"user_id":"ann_1","verbose":false}')] },
    { role: 'tool', name: 'get_user', tool_call_id: 'call_get_user', content: '{"orders":["#1"]}' },
    { role: 'assistant', content: null, tool_calls: [call('cancel', '{"reason":"no longer needed","order":"#1"}'), call('notify', '{}')] },
    { role: 'tool', name: 'cancel', tool_call_id: 'call_cancel', content: 'ok' },
    { role: 'assistant', content: 'Done.' },
    { role: 'user', content: 'Thanks ###STOP###' },
  ],
};

/** Task 7, trial 1: same start, the same call with its arguments in another key order, then a transfer. */
const transferred = {
  task_id: 7,
  trial: 1,
  reward: 0,
  traj: [
    SYSTEM,
    { role: 'user', content: 'Hi, cancel my order.' },
    { role: 'assistant', content: 'Sure. Your user id?' },
    { role: 'user', content: 'ann_1' },
    { role: 'assistant', content: null, tool_calls: [call('get_user', '{"verbose":false,"user_id":"ann_1"}')] },
    { role: 'tool', name: 'get_user', tool_call_id: 'call_get_user', content: '{"orders":["#1"]}' },
    { role: 'assistant', content: null, tool_calls: [call('transfer_to_human_agents', '{"summary":"cancel"}')] },
    { role: 'tool', name: 'transfer_to_human_agents', tool_call_id: 'call_t', content: 'Transfer successful' },
  ],
};

/** Task 8, trial 0: four turns and no ending: cut off by the step limit. */
const cutOff = {
  task_id: 8,
  trial: 0,
  reward: 0,
  traj: [SYSTEM, ...[1, 2, 3, 4].flatMap((i) => [{ role: 'user', content: `u${i}` }, { role: 'assistant', content: `a${i}` }]), { role: 'user', content: 'still here' }],
};

function write(records: unknown, name = 'gpt-x-retail.json'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, JSON.stringify(records));
  return file;
}

afterAll(cleanup);

describe('import tau-bench: turns on hand-written records', () => {
  it('maps each assistant turn to one step with the messages before it as its observation', async () => {
    const out = join(tempDir(), 'run');
    const summary = await importTauBench(write([transferred, cutOff, stopped]), { out });
    const { manifest, rollouts, steps } = readRun(out);
    // Environment from the system prompt's domain; agent from the file name minus "-retail".
    expect(manifest.environment.name).toBe('tau-bench-retail');
    expect(manifest.agents).toEqual([{ name: 'gpt-x', kind: 'imported', params: { format: 'tau-bench', file: 'gpt-x-retail.json' } }]);
    expect(summary.horizon).toBe(4); // the longest trajectory: 4 assistant turns
    // Sorted by task, then trial.
    expect(rollouts.map((r) => r.rollout)).toEqual(['gpt-x:4:7:0', 'gpt-x:4:7:1', 'gpt-x:4:8:0']);

    const s = steps.filter((x) => x.rollout === 'gpt-x:4:7:0');
    expect(s.map(({ rollout, obs, ...rest }) => rest)).toEqual([
      { t: 1, action: { respond: true }, text: 'Sure. Your user id?', info: { observation: 'user: Hi, cancel my order.' } },
      { t: 2, action: { tool: 'get_user', args: { user_id: 'ann_1', verbose: false } }, text: 'Looking it up.', info: { observation: 'user: ann_1' } },
      {
        t: 3,
        action: { tool: 'cancel', args: { order: '#1', reason: 'no longer needed' } },
        info: { extraToolCalls: [{ tool: 'notify', args: {} }], observation: 'tool get_user: {"orders":["#1"]}' },
      },
      { t: 4, action: { respond: true }, text: 'Done.', info: { observation: 'tool cancel: ok' } },
    ]);
    for (const x of steps) expect(x.obs).toBe(hashString(x.info.observation));
    // Arguments are written with sorted keys, so both trials' t = 2 lines spell the action identically.
    const raw = (t: number, trial: number) => JSON.stringify(steps.find((x) => x.rollout === `gpt-x:4:7:${trial}` && x.t === t)!.action);
    expect(raw(2, 0)).toBe('{"args":{"user_id":"ann_1","verbose":false},"tool":"get_user"}');
    expect(raw(2, 1)).toBe(raw(2, 0));

    const [r0, r1, r2] = rollouts;
    expect(r0).toMatchObject({
      instance: 7,
      index: 0,
      length: 4,
      termination: 'terminated',
      outcome: { kind: 'coverage', value: [1], target: [1], success: true },
      info: { end: 'user-stop', system: hashString(SYSTEM.content), instruction: 'You are ann. Cancel order #1.', finalObservation: 'user: Thanks ###STOP###' },
    });
    expect(r1).toMatchObject({ length: 3, termination: 'terminated', outcome: { value: [0], success: false }, info: { end: 'transfer' } });
    expect(r2).toMatchObject({ length: 4, termination: 'truncated', info: { end: 'max-steps', finalObservation: 'user: still here' } });
  });

  it('with a longer --horizon, an unfinished trajectory is not a truncation', async () => {
    const out = join(tempDir(), 'run');
    await importTauBench(write([cutOff]), { out, horizon: 30, agent: 'm1' });
    const { rollouts, manifest } = readRun(out);
    expect(manifest.horizons).toEqual([30]);
    expect(rollouts[0]).toMatchObject({ rollout: 'm1:30:8:0', termination: 'terminated', info: { end: 'unknown' } });
  });

  it('takes the domain from the file name when the system prompt does not name it, and refuses to guess otherwise', async () => {
    const noSystem = { ...transferred, traj: transferred.traj.slice(1) };
    const out = join(tempDir(), 'run');
    await importTauBench(write([noSystem], 'claude-airline.json'), { out });
    expect(readRun(out).manifest).toMatchObject({ environment: { name: 'tau-bench-airline' }, agents: [{ name: 'claude' }] });
    await expect(importTauBench(write([noSystem], 'trials.json'), { out: join(tempDir(), 'x') })).rejects.toThrow(/cannot tell the τ-bench domain.*--domain/);
    const out2 = join(tempDir(), 'run');
    await importTauBench(write([noSystem], 'trials.json'), { out: out2, domain: 'telecom' });
    expect(readRun(out2).manifest.environment.name).toBe('tau-bench-telecom');
  });

  it('refuses a --horizon shorter than the longest trajectory, naming it', async () => {
    await expect(importTauBench(write([stopped, cutOff]), { out: join(tempDir(), 'x'), horizon: 3 })).rejects.toThrow(
      /--horizon 3 is shorter than .*record \[0\] \(task_id 7, trial 0\), which has 4 assistant turns/,
    );
  });

  it('names the record and field of tool-call arguments that are not JSON', async () => {
    const bad = { ...cutOff, traj: [{ role: 'assistant', content: null, tool_calls: [call('f', '{oops')] }] };
    await expect(importTauBench(write([stopped, bad]), { out: join(tempDir(), 'x') })).rejects.toThrow(
      'record [1] (task_id 8, trial 0): field "traj[0].tool_calls[0].function.arguments": tool-call arguments are not valid JSON: "{oops"',
    );
  });
});
