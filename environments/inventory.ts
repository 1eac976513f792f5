/**
 * inventory: Vending-Bench in miniature, a small shop run for H days.
 *
 * - Models: a long-running business where decisions compound through cash
 *   and stock. Each morning the agent restocks (paying the unit cost, limited
 *   by cash and storage) and sets the day's price; customers buy up to the
 *   day's demand; each unsold unit costs a holding fee overnight.
 * - Demand: seeded and fixed per instance. Day t's demand at price p is the
 *   Poisson(λ) quantile of a uniform drawn for day t at reset, with
 *   λ = baseDemand·(p/mid)^(−elasticity)·(1 + 0.3·sin(2π(t+phase)/7)): common
 *   random numbers, so every rollout of an instance faces the same customers
 *   and a higher price never sells more.
 * - Horizon H: the number of days.
 * - Actions: {restock ∈ {0, 5, 10, 20}, price ∈ {low, mid, high}}; only the
 *   affordable restocks that fit in storage are listed (others are illegal).
 * - Oracle: a fixed good policy, not the optimum: mid price (the profit-
 *   maximising price for elasticity 2 at this cost) and order-up-to
 *   `orderUpTo`: the restock that brings stock closest to it (ties to the
 *   smaller order).
 * - Ground truth: per day, net worth (cash + stock at cost) divided by the
 *   oracle's net worth on the same instance at day t; target 1 (squared).
 * - Outcome: final net worth / the oracle's final net worth, target [1],
 *   squared; success when at least the oracle's (ratio ≥ 1).
 * Money is kept in integer cents, so states and hashes are exact.
 */
import { z } from 'zod';
import { defineEnvironment, hashString, HotmessError, type ActionSpace, type Rng } from '../src/core/index.js';

const Params = z.object({
  baseDemand: z.number().positive().max(1000).default(8).describe('mean daily demand at the mid price'),
  elasticity: z.number().nonnegative().max(10).default(2).describe('how much demand falls as the price level rises'),
  startCash: z.number().int().nonnegative().max(1e9).default(2000).describe('starting cash, in cents'),
  capacity: z.number().int().min(20).max(10000).default(40).describe('most units the shop can hold'),
  holdingCost: z.number().int().nonnegative().max(10000).default(10).describe('overnight fee per unsold unit, in cents'),
  orderUpTo: z.number().int().nonnegative().max(10000).default(14).describe("the oracle's order-up-to level, in units"),
});
type Params = z.infer<typeof Params>;

type PriceLevel = 'low' | 'mid' | 'high';
type Order = {
  readonly restock: number;
  readonly price: PriceLevel;
};

const UNIT_COST = 100;
const LEVELS: readonly PriceLevel[] = ['low', 'mid', 'high'];
const PRICE: readonly number[] = [150, 200, 300];
const PRICE_INDEX: Record<string, number> = { low: 0, mid: 1, high: 2 };
const RESTOCKS: readonly number[] = [0, 5, 10, 20];
const MID = 1;
/** ORDERS[r * 3 + p]: the shared action objects, so the oracle allocates nothing; frozen, so the engine prints each one's JSON once. */
const ORDERS: readonly Order[] = RESTOCKS.flatMap((restock) => LEVELS.map((price) => Object.freeze({ restock, price })));
/** The measure's target, frozen and shared: printed once. */
const ONE: number[] = Object.freeze([1]) as number[];
/** SPACES[k]: the actions with the k + 1 smallest restock levels, restock-major order. */
const SPACES: readonly ActionSpace<Order>[] = RESTOCKS.map((_, k) => ({ kind: 'discrete', actions: ORDERS.slice(0, 3 * (k + 1)) }));

/** Per-instance data; a class instance, so immer never drafts it. */
class Shop {
  constructor(
    readonly params: Params,
    readonly horizon: number,
    /** demand[t * 3 + p]: customers on day t at price level p. */
    readonly demand: Int32Array,
    /** The oracle's net worth after day t, t = 0..H (index 0: the start). */
    readonly refWorth: Float64Array,
  ) {
    this.ofDays = ` of ${horizon}. Cash `;
  }
  /** The observation text between the day number and the cash. */
  readonly ofDays: string;
}

/** The observation's last sentence, in parts: built once. */
const OPENS = 'The shop opens today.';
const YESTERDAY: readonly string[] = LEVELS.map((level) => `Yesterday at the ${level} price you sold `);
const UNITS = ' units.';
const UNITS_SOLD_OUT = ' units and sold out.';

interface State {
  readonly instance: Shop;
  readonly day: number;
  /** Cents; may go below zero only through holding fees. */
  readonly cash: number;
  readonly stock: number;
  /** Yesterday's price level (-1 before the first day), units sold, and whether it sold out. */
  readonly lastPrice: number;
  readonly lastSold: number;
  readonly soldOut: boolean;
}

type Core = Pick<State, 'day' | 'cash' | 'stock'>;

/** The smallest k with P(Poisson(λ) ≤ k) > u. */
function poissonQuantile(u: number, lambda: number): number {
  let p = Math.exp(-lambda);
  let cdf = p;
  let k = 0;
  while (cdf <= u && k < 100_000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

function makeDemand(params: Params, horizon: number, rng: Rng): Int32Array {
  const phase = rng.next() * 7;
  const demand = new Int32Array(horizon * 3);
  for (let t = 0; t < horizon; t++) {
    const u = rng.next();
    const season = 1 + 0.3 * Math.sin((2 * Math.PI * (t + phase)) / 7);
    for (let p = 0; p < 3; p++) {
      demand[t * 3 + p] = poissonQuantile(u, params.baseDemand * (PRICE[p] / PRICE[MID]) ** -params.elasticity * season);
    }
  }
  return demand;
}

/** How many restock levels are legal: affordable and within storage (at least the 0 order). */
function legalLevels(params: Params, cash: number, stock: number): number {
  let k = 1;
  while (k < RESTOCKS.length && RESTOCKS[k] * UNIT_COST <= cash && stock + RESTOCKS[k] <= params.capacity) k++;
  return k;
}

function oracleOrder(params: Params, s: Core): Order {
  const k = legalLevels(params, s.cash, s.stock);
  let best = 0;
  for (let r = 1; r < k; r++) {
    if (Math.abs(s.stock + RESTOCKS[r] - params.orderUpTo) < Math.abs(s.stock + RESTOCKS[best] - params.orderUpTo)) best = r;
  }
  return ORDERS[best * 3 + MID];
}

/** One day: buy, sell, pay holding. Mutates `s` (a draft or a scratch object). */
function runDay(shop: Shop, s: { day: number; cash: number; stock: number; lastPrice: number; lastSold: number; soldOut: boolean }, restock: number, p: number): void {
  s.cash -= restock * UNIT_COST;
  const onHand = s.stock + restock;
  const demand = shop.demand[s.day * 3 + p];
  const sold = Math.min(onHand, demand);
  s.cash += sold * PRICE[p] - (onHand - sold) * shop.params.holdingCost;
  s.stock = onHand - sold;
  s.lastPrice = p;
  s.lastSold = sold;
  s.soldOut = demand >= onHand;
  s.day += 1;
}

const worth = (s: Core): number => s.cash + s.stock * UNIT_COST;

function build(params: Params, horizon: number, rng: Rng): Shop {
  const shop = new Shop(params, horizon, makeDemand(params, horizon, rng), new Float64Array(horizon + 1));
  // The reference trajectory: the oracle run on this very instance, with the same runDay.
  const s = { day: 0, cash: params.startCash, stock: 0, lastPrice: -1, lastSold: 0, soldOut: false };
  shop.refWorth[0] = worth(s);
  for (let t = 1; t <= horizon; t++) {
    const o = oracleOrder(params, s);
    runDay(shop, s, o.restock, PRICE_INDEX[o.price]);
    shop.refWorth[t] = worth(s);
  }
  for (let t = 0; t <= horizon; t++) {
    if (!(shop.refWorth[t] > 0)) {
      throw new HotmessError('scenario', `inventory: the oracle's net worth reaches ${shop.refWorth[t]} cents on day ${t}; raise startCash or baseDemand so it stays positive`);
    }
  }
  return shop;
}

/** Integer cents as dollars: what `$${(|cents| / 100).toFixed(2)}` prints (with a leading '-'), without toFixed's formatting. */
export function dollars(cents: number): string {
  const c = cents < 0 ? -cents : cents;
  // Beyond 2^53 cents the division is no longer exact: leave it to toFixed.
  if (c > Number.MAX_SAFE_INTEGER || !Number.isInteger(c)) return `${cents < 0 ? '-' : ''}$${(c / 100).toFixed(2)}`;
  const rest = c % 100;
  return (cents < 0 ? '-$' : '$') + (c - rest) / 100 + (rest < 10 ? '.0' : '.') + rest;
}

export default defineEnvironment<Params, State, Order>({
  name: 'inventory',
  description: 'Run a small shop for H days: restock and price against seeded, price-elastic demand (Vending-Bench in miniature).',
  params: Params,
  horizonMeaning: 'number of business days',
  // Building the demand and the reference plan takes seconds per instance beyond this.
  maxHorizon: 100_000,
  reset(params, horizon, rng) {
    return { instance: build(params, horizon, rng), day: 0, cash: params.startCash, stock: 0, lastPrice: -1, lastSold: 0, soldOut: false };
  },
  actions: (s) => SPACES[legalLevels(s.instance.params, s.cash, s.stock) - 1],
  transition(draft, action, s) {
    const shop = s.instance;
    const r = RESTOCKS.indexOf(action.restock);
    const p = PRICE_INDEX[action.price];
    if (r < 0 || p === undefined) return { illegal: `not an order: restock must be one of ${RESTOCKS.join(', ')} and price low, mid or high` };
    if (action.restock > 0 && action.restock * UNIT_COST > s.cash) return { illegal: `cannot afford ${action.restock} units with ${dollars(s.cash)}` };
    if (s.stock + action.restock > shop.params.capacity) return { illegal: `storage holds ${shop.params.capacity} units` };
    // The day runs on a plain copy and its fields are written back in runDay's order (the
    // order of the patches); every read of the draft would go through immer's proxy.
    const next = { day: s.day, cash: s.cash, stock: s.stock, lastPrice: s.lastPrice, lastSold: s.lastSold, soldOut: s.soldOut };
    runDay(shop, next, action.restock, p);
    draft.cash = next.cash;
    draft.stock = next.stock;
    draft.lastPrice = next.lastPrice;
    draft.lastSold = next.lastSold;
    draft.soldOut = next.soldOut;
    draft.day = next.day;
    return { reward: (worth(next) - worth(s)) / 100, terminated: next.day >= shop.horizon };
  },
  instructions(s) {
    const { params, horizon } = s.instance;
    return (
      `You run a small shop for ${horizon} days. Each morning choose how many units to restock ` +
      `(${RESTOCKS.join(', ')}; each costs ${dollars(UNIT_COST)}, paid at once; storage holds ${params.capacity}) ` +
      `and the day's price: low ${dollars(PRICE[0])}, mid ${dollars(PRICE[1])} or high ${dollars(PRICE[2])}. ` +
      `Customers buy up to the day's demand, which falls as the price rises and follows a weekly pattern. ` +
      `Each unsold unit costs ${dollars(params.holdingCost)} overnight. Your score is your final net worth: cash plus stock at cost. ` +
      'Reply as {"restock": 10, "price": "mid"}.'
    );
  },
  observe(s) {
    const yesterday = s.lastPrice < 0 ? OPENS : YESTERDAY[s.lastPrice] + s.lastSold + (s.soldOut ? UNITS_SOLD_OUT : UNITS);
    return {
      data: { day: s.day + 1, cash: s.cash, stock: s.stock, lastPrice: s.lastPrice < 0 ? null : LEVELS[s.lastPrice], lastSold: s.lastSold, soldOut: s.soldOut },
      text: 'Day ' + (s.day + 1) + s.instance.ofDays + dollars(s.cash) + ', stock ' + s.stock + ' units. ' + yesterday,
    };
  },
  oracle: (s) => oracleOrder(s.instance.params, s),
  measure(s, t) {
    const ref = s.instance.refWorth;
    return { value: [worth(s) / ref[Math.min(t, ref.length - 1)]], target: ONE };
  },
  measureKind: 'squared',
  outcome(s) {
    const ref = s.instance.refWorth;
    const ratio = worth(s) / ref[ref.length - 1];
    return { kind: 'squared', value: [ratio], target: [1], success: ratio >= 1 };
  },
  outcomeKind: 'squared',
  outcomeMeaning: "final net worth divided by the oracle policy's on the same instance (target 1); success = at least the oracle's",
  features: (s) => [s.cash / 100, s.stock],
  hash: (s) => hashString(`${s.day}:${s.cash}:${s.stock}:${s.lastPrice}:${s.lastSold}:${s.soldOut ? 1 : 0}`),
  systematicError(s) {
    // A fixed misconception: the oracle's restock, but always at the high price.
    const o = oracleOrder(s.instance.params, s);
    return ORDERS[RESTOCKS.indexOf(o.restock) * 3 + 2];
  },
});
