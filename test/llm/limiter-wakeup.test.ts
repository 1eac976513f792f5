/**
 * Regression (issue 10, item 1): a run whose first requests were overloaded
 * could die silently (Node exit 13, 0 rollouts, manifest left `running`).
 * The limiter read the clock twice when it put a waiter to sleep: once to
 * decide it could not start yet, once to decide whether a wake-up timer was
 * needed. A millisecond tick between the two left a queued waiter with
 * nothing in flight and no timer, and the event loop emptied.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RequestLimiter } from '../../src/llm/index.js';
import { rollouts, run, scenarioSpec, steps, tempDir, useMessagesServer } from './helpers.js';
import { apiError, lastUserText, message, type Handler, type MessagesServer } from './server.js';

/** Resolves to whether `p` settled within `ms` of real time. */
const settlesWithin = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('the limiter never strands a waiter', () => {
  it('wakes a waiter when the clock ticks past the pause between two reads', async () => {
    // A clock that advances one millisecond every time it is read: the pause ends between reads.
    let t = 0;
    const l = new RequestLimiter({ max: 4, now: () => t++ });
    l.overloaded(50); // read at t=0: paused until 50
    t = 49;
    // Nothing in flight: only a timer or an immediate start can wake this waiter.
    expect(l.inFlight).toBe(0);
    expect(await settlesWithin(l.acquire(), 500)).toBe(true);
    expect(l.inFlight).toBe(1);
  });

  it('wakes queued waiters when the timer fires before the pause has ended by the clock', async () => {
    // Timers and Date.now use different clocks: the wake-up can come a little early. It must re-arm, not give up.
    let t = 1000;
    const l = new RequestLimiter({ max: 2, now: () => t });
    l.overloaded(30);
    const waiter = l.acquire();
    // The timer fires (after ~30 ms of real time) while this clock still says 1029: it must re-arm.
    t = 1029;
    await new Promise((r) => setTimeout(r, 60));
    expect(l.inFlight).toBe(0);
    t = 1030;
    expect(await settlesWithin(waiter, 500)).toBe(true);
    expect(l.inFlight).toBe(1);
  });
});

/** Any open direction of the maze (the reply only needs to be legal). */
const legalMove: Handler = (r) => {
  const open = /Open directions: ([^.]*)\./.exec(lastUserText(r.body));
  return message(r.n, { input: { action: open ? open[1].split(', ')[0] : 'N' } });
};

let server: MessagesServer;
useMessagesServer(legalMove, (s) => (server = s));

describe('a run whose first replies are 529 finishes', () => {
  it('16 maze rollouts at concurrency 4, first six replies 529 with retry-after-ms 50: finishes every time (20 seeds)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      server.requests.length = 0;
      server.handler = (r) => (r.n <= 6 ? { status: 529, headers: { 'retry-after-ms': '50' }, json: apiError('overloaded_error', 'Overloaded') } : legalMove(r));
      const out = join(tempDir(), `run-${seed}`);
      const spec = scenarioSpec(server.url, { environment: 'maze', params: {}, horizons: [2], rollouts: 16, concurrency: 4, seed, agent: { maxRetries: 4 } });
      const finished = await settlesWithin(run(spec, out), 20_000);
      expect(finished, `seed ${seed}: the run never settled`).toBe(true);
      expect(rollouts(out), `seed ${seed}`).toHaveLength(16);
      expect(rollouts(out).filter((r) => r.termination === 'error')).toEqual([]);
      expect(steps(out)).toHaveLength(32);
    }
  }, 120_000);
});
