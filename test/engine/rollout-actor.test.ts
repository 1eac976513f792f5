/**
 * The rollout machine run as an actor that is reused from one rollout to the
 * next (LOAD from an end state): whatever the previous rollout did (ended,
 * failed, was aborted mid-call), the next one starts clean and logs the same.
 */
import { describe, expect, it } from 'vitest';
import { RolloutSession, runRollout, type RolloutEnd } from '../../src/engine/index.js';
import { createActor } from 'xstate';
import { idleActors, rolloutMachine, SYNC_BURST } from '../../src/engine/rollout.js';
import type { Action, Agent } from '../../src/core/index.js';
import counter from '../fixtures/counter-env.js';

class Lines {
  readonly lines: string[] = [];
  step(line: string): void {
    this.lines.push(line);
  }
}

function session(id: string, agent: Agent, horizon = 3) {
  const sink = new Lines();
  const s = new RolloutSession({ id, env: counter, params: { slack: 0 }, horizon, seeds: { env: 'e', agent: 'a' }, sink, keepHistory: false });
  s.agent = agent;
  return { s, sink };
}

const inc: Agent = { async: false, act: () => 'inc' };
const later = <T>(v: T) => new Promise<T>((r) => setImmediate(() => r(v)));

async function run(s: RolloutSession, signal?: AbortSignal): Promise<RolloutEnd> {
  return runRollout(s, signal);
}

describe('rollout actor reuse', () => {
  it('runs scripted rollouts after an aborted, a failed and an async one with the same logs as the first', async () => {
    const first = session('r0', inc);
    expect(await run(first.s)).toEqual({ termination: 'terminated' });
    expect(first.sink.lines).toHaveLength(3);

    // Aborted while its agent call hangs: the actor is stopped, never reused.
    const ctl = new AbortController();
    const hang: Agent = { async: true, act: (_o, _h, _r, signal) => new Promise<Action>((_, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled')))) };
    const aborted = session('r1', hang);
    const pending = run(aborted.s, ctl.signal);
    await later(null);
    ctl.abort();
    expect(await pending).toEqual({ termination: 'error', error: 'aborted' });

    // Failed in the agent at step 2: the typed onError names the step.
    let calls = 0;
    const failing: Agent = { async: true, act: async () => (++calls === 2 ? Promise.reject(new Error('nope')) : later('inc')) };
    const failed = session('r2', failing);
    expect(await run(failed.s)).toEqual({ termination: 'error', error: 'agent at t=2: nope' });
    expect(failed.sink.lines).toHaveLength(1);

    // An async agent that finishes: its decision reaches the step through the typed onDone.
    const asyncInc: Agent = { async: true, act: () => later('inc') };
    const done = session('r3', asyncInc);
    expect(await run(done.s)).toEqual({ termination: 'terminated' });
    expect(done.sink.lines.map((l) => JSON.parse(l).action)).toEqual(['inc', 'inc', 'inc']);

    const again = session('r0', inc);
    expect(await run(again.s)).toEqual({ termination: 'terminated' });
    expect(again.sink.lines).toEqual(first.sink.lines);
  });

  it('keeps concurrent async rollouts apart, each on its own actor and sink', async () => {
    const agent = (): Agent => ({ async: true, act: () => later('stay') });
    const runs = Array.from({ length: 8 }, (_, i) => session(`c${i}`, agent(), 2 + i));
    const ends = await Promise.all(runs.map((r) => run(r.s)));
    expect(ends.every((e) => e.termination === 'truncated')).toBe(true);
    runs.forEach((r, i) => {
      expect(r.sink.lines.map((l) => JSON.parse(l).t)).toEqual(Array.from({ length: 2 + i }, (_, k) => k + 1));
      expect(r.sink.lines.every((l) => JSON.parse(l).rollout === `c${i}`)).toBe(true);
    });
    // And a scripted rollout right after them truncates at its own horizon.
    const after = session('z', { async: false, act: () => 'stay' }, 5);
    expect(await run(after.s)).toEqual({ termination: 'truncated' });
    expect(after.sink.lines).toHaveLength(5);
  });

  it('LOAD lands each scripted rollout in its own end, from every end state, with ready\'s order of checks', async () => {
    // terminated: 'inc' reaches the goal exactly at the horizon (terminated wins over truncated);
    // truncated: 'stay' to the horizon; error: the environment throws at step 2.
    let n = 0;
    const kinds = {
      T: { agent: inc, end: { termination: 'terminated' }, lines: 3 },
      R: { agent: { async: false, act: () => 'stay' } as Agent, end: { termination: 'truncated' }, lines: 3 },
      E: { agent: { async: false, act: () => (++n % 2 === 0 ? 'boom' : 'inc') } as Agent, end: { termination: 'error', error: 'step 2: kaboom' }, lines: 1 },
    } as const;
    // Every ordered pair of end states once: TT TR RR RE EE ET TE ER RT.
    for (const [i, k] of [...'TTRREETERT'].entries()) {
      const kind = kinds[k as keyof typeof kinds];
      n = 0;
      const r = session(`p${i}`, kind.agent);
      const end = await run(r.s);
      expect({ k, end }).toEqual({ k, end: kind.end });
      expect(r.sink.lines).toHaveLength(kind.lines);
      expect(r.s.t).toBe(kind.lines);
    }
    // Longer than one burst: LOAD lands in ready, and the rest is stepped by STEP events.
    const long = session('long', { async: false, act: () => 'stay' }, SYNC_BURST + 5);
    expect(await run(long.s)).toEqual({ termination: 'truncated' });
    expect(long.sink.lines.map((l) => JSON.parse(l).t)).toEqual(Array.from({ length: SYNC_BURST + 5 }, (_, k) => k + 1));
  });

  it('gives each rollout an actor resting where it will end, so that LOAD leaves it in place', async () => {
    let n = 0;
    const agents = { T: inc, R: { async: false, act: () => 'stay' } as Agent, E: { async: false, act: () => (++n % 2 === 0 ? 'boom' : 'inc') } as Agent };
    const runKind = async (k: keyof typeof agents, i: number) => {
      n = 0;
      return (await run(session(`q${i}`, agents[k]).s)).termination;
    };
    // One rollout of each end first, so that each end state has an idle actor.
    expect([await runKind('T', 0), await runKind('R', 1), await runKind('E', 2)]).toEqual(['terminated', 'truncated', 'error']);
    const before = idleActors();
    expect(before.terminated * before.truncated * before.error).toBeGreaterThan(0);
    // Every change of end: an actor taken from another end state's pool would move pools; a fresh one would add to them.
    for (const [i, k] of [...'TRETTRREERT'].entries()) await runKind(k as keyof typeof agents, 10 + i);
    expect(idleActors()).toEqual(before);
  });

  it('a LOAD that lands where the actor rests enables no transition: no microstep, the same snapshot', () => {
    // The cheap case every scripted rollout takes (acquire picks such an actor); a regression here would add
    // an xstate microstep per rollout without changing any log.
    const ended = (k: 'T' | 'R') => {
      const r = session(`m${k}`, k === 'T' ? inc : { async: false, act: () => 'stay' });
      while (!r.s.ended) r.s.stepSync();
      return r.s;
    };
    const first = ended('T');
    const actor = createActor(rolloutMachine, { input: { session: first } }).start();
    expect(actor.getSnapshot().value).toBe('terminated');
    const resting = actor.getSnapshot();
    actor.send({ type: 'LOAD', session: ended('T') });
    expect(actor.getSnapshot()).toBe(resting);
    // A rollout that ends elsewhere moves the actor, and the context is then that rollout's.
    const truncated = ended('R');
    actor.send({ type: 'LOAD', session: truncated });
    expect(actor.getSnapshot().value).toBe('truncated');
    expect(actor.getSnapshot().context).toMatchObject({ session: truncated, t: 3, terminated: false, failure: null });
    // One that goes on lands in ready with its context.
    const fresh = session('mG', inc).s;
    actor.send({ type: 'LOAD', session: fresh });
    expect(actor.getSnapshot().value).toBe('ready');
    expect(actor.getSnapshot().context).toMatchObject({ session: fresh, t: 0 });
    actor.stop();
  });
});
