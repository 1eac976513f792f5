import { describe, expect, it } from 'vitest';
import { checkEnvironment, createRng } from '../../src/core/index.js';
import inventory, { dollars } from '../../environments/inventory.js';

const params = inventory.params.parse({});
type State = ReturnType<typeof inventory.reset>;
type Order = ReturnType<typeof inventory.oracle>;

function step(s: State, a: Order): State {
  const r = inventory.step(s, a);
  if (r.kind !== 'ok') throw new Error(r.reason);
  return r.state;
}

function play(h: number, seed: string, policy: (s: State) => Order): State {
  let s = inventory.reset(params, h, createRng(seed));
  for (let t = 0; t < h; t++) s = step(s, policy(s));
  return s;
}

describe('inventory environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(inventory, {}, [1, 7, 30, 120])).toEqual([]);
    expect(checkEnvironment(inventory, { orderUpTo: 30, elasticity: 1 }, [20])).toEqual([]);
  });

  it('the oracle scores a worth ratio of exactly 1', () => {
    for (const h of [5, 30, 90]) {
      const s = play(h, `o${h}`, (st) => inventory.oracle(st));
      expect(inventory.outcome(s)).toEqual({ kind: 'squared', value: [1], target: [1], success: true });
    }
  });

  it('the reference worth follows the documented rules, re-simulated independently', () => {
    const h = 40;
    const s0 = inventory.reset(params, h, createRng('rules'));
    const { demand, refWorth } = s0.instance;
    let cash = params.startCash;
    let stock = 0;
    expect(refWorth[0]).toBe(cash);
    for (let t = 0; t < h; t++) {
      // order-up-to 14 at the mid price ($2.00), restock from {0, 5, 10, 20}, affordable and within storage
      const options = [0, 5, 10, 20].filter((q) => q * 100 <= cash && stock + q <= params.capacity);
      const q = options.reduce((best, o) => (Math.abs(stock + o - 14) < Math.abs(stock + best - 14) ? o : best), 0);
      cash -= q * 100;
      const sold = Math.min(stock + q, demand[t * 3 + 1]);
      stock += q - sold;
      cash += sold * 200 - stock * params.holdingCost;
      expect(refWorth[t + 1]).toBe(cash + stock * 100);
    }
    expect(refWorth[h]).toBeGreaterThan(params.startCash);
  });

  it('demand is seeded, price-elastic and never higher at a higher price', () => {
    const { demand } = inventory.reset(params, 2000, createRng('demand')).instance;
    const mean = [0, 0, 0];
    for (let t = 0; t < 2000; t++) {
      for (let p = 0; p < 3; p++) mean[p] += demand[t * 3 + p] / 2000;
      expect(demand[t * 3]).toBeGreaterThanOrEqual(demand[t * 3 + 1]);
      expect(demand[t * 3 + 1]).toBeGreaterThanOrEqual(demand[t * 3 + 2]);
    }
    // λ = 8 (p/2)^-2 times a weekly factor averaging ~1: low 14.2, mid 8, high 3.6
    expect(mean[1]).toBeGreaterThan(7.6);
    expect(mean[1]).toBeLessThan(8.4);
    expect(mean[0] / mean[1]).toBeCloseTo(16 / 9, 1);
    expect(mean[2] / mean[1]).toBeCloseTo(4 / 9, 1);
    const other = inventory.reset(params, 2000, createRng('other')).instance.demand;
    expect(Array.from(other)).not.toEqual(Array.from(demand));
  });

  it('doing nothing or pricing high scores below the oracle', () => {
    const idle = play(30, 'idle', () => ({ restock: 0, price: 'mid' }));
    expect(inventory.outcome(idle).value[0]).toBeLessThan(1);
    expect(inventory.outcome(idle).success).toBe(false);
    const high = play(30, 'idle', (s) => inventory.systematicError!(s));
    expect(high.lastPrice).toBe(2);
    expect(inventory.outcome(high).value[0]).toBeLessThan(1);
  });

  it('lists only affordable orders that fit in storage, and refuses others', () => {
    const s = inventory.reset(params, 10, createRng('cash'));
    const poor = { ...s, cash: 700 };
    const space = inventory.actions(poor);
    if (space.kind !== 'discrete') throw new Error('expected discrete');
    expect(new Set(space.actions.map((a) => a.restock))).toEqual(new Set([0, 5]));
    expect(space.actions).toHaveLength(6);
    expect(inventory.step(poor, { restock: 10, price: 'mid' })).toEqual({ kind: 'illegal', reason: 'cannot afford 10 units with $7.00' });
    const full = { ...s, stock: 36 };
    expect(inventory.step(full, { restock: 5, price: 'low' })).toEqual({ kind: 'illegal', reason: 'storage holds 40 units' });
    expect(inventory.step(s, { restock: 3, price: 'mid' } as never)).toMatchObject({ kind: 'illegal' });
    // Regression: holding fees can push cash below zero; ordering nothing must stay legal then.
    const broke = { ...s, cash: -200, stock: 20 };
    expect(inventory.actions(broke)).toMatchObject({ actions: [{ restock: 0 }, { restock: 0 }, { restock: 0 }] });
    expect(inventory.step(broke, { restock: 0, price: 'low' }).kind).toBe('ok');
  });

  it('observes cash, stock and yesterday in text', () => {
    let s = inventory.reset(params, 10, createRng('text'));
    expect(inventory.observe(s).text).toBe('Day 1 of 10. Cash $20.00, stock 0 units. The shop opens today.');
    s = step(s, { restock: 20, price: 'high' });
    expect(inventory.observe(s).text).toMatch(/^Day 2 of 10\. Cash \$\d+\.\d\d, stock \d+ units\. Yesterday at the high price you sold \d+ units\.$/);
  });

  it('prints money exactly as toFixed(2) on the dollars would', () => {
    const ref = (cents: number): string => `${cents < 0 ? '-' : ''}$${(Math.abs(cents) / 100).toFixed(2)}`;
    const rng = createRng('dollars');
    const values = [0, -0, 1, -1, 9, 10, 99, 100, 101, -100, -105, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 + 2, 1e20, 12.5, -0.25];
    for (let i = 0; i < 20000; i++) values.push(Math.floor((rng.next() - 0.5) * 10 ** (rng.next() * 16)));
    expect(values.filter((v) => dollars(v) !== ref(v))).toEqual([]);
  });
});
