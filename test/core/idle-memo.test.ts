/**
 * IdleMemo keeps its entries while it is used and lets go of them once
 * unused for idleMs (real timers, tens of ms), and never holds more than its
 * limit. Environments memoise compiled instances in one (workflow, hanoi, quiz).
 */
import { describe, expect, it } from 'vitest';
import { IdleMemo } from '../../src/core/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IdleMemo', () => {
  it('keeps the newest `limit` entries, dropping the oldest first', () => {
    const m = new IdleMemo<string, number>(2, 60_000);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.size).toBe(2);
    expect(m.get('a')).toBeUndefined();
    expect(m.get('b')).toBe(2);
    expect(m.get('c')).toBe(3);
    m.clear();
  });

  it('keeps its entries while used more often than idleMs, and drops them all once idle for idleMs', async () => {
    const m = new IdleMemo<string, number>(8, 150);
    m.set('a', 1);
    // Used every 50 ms for 300 ms: twice the idle time since the entry was made, never idle for it.
    for (let i = 0; i < 6; i++) {
      await sleep(50);
      expect(m.get('a')).toBe(1);
    }
    await sleep(400);
    expect(m.size).toBe(0);
    expect(m.get('a')).toBeUndefined();
    // And fills again as before.
    m.set('b', 2);
    expect(m.get('b')).toBe(2);
    m.clear();
  });
});
