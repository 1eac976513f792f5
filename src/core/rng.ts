/**
 * Seeded randomness. Every stream is created from a seed string derived from
 * a rollout's coordinates, never from a shared running stream, so rollout k
 * is a function of its own seed alone. There is no Math.random anywhere.
 */
import seedrandom from 'seedrandom';
import { canonicalJson, hashString } from './canonical.js';
import { HotmessError } from './errors.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box–Muller). */
  normal(): number;
  /** A 32-bit integer, e.g. to seed a native sampler. */
  uint32(): number;
}

export type SeedPart = string | number;

/** A base seed from a scenario: a non-negative safe integer or a non-empty string. */
export function checkSeed(seed: unknown, where = 'seed'): SeedPart {
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) return seed;
  if (typeof seed === 'string' && seed.length > 0) return seed;
  throw new HotmessError('scenario', `${where}: expected a non-negative integer or a non-empty string, got ${JSON.stringify(seed)}`);
}

/** Derive a child seed from coordinates: e.g. (base, 'env', horizon, instance). */
export function deriveSeed(...parts: SeedPart[]): string {
  const s = canonicalJson(parts);
  return hashString(s, 1) + hashString(s, 2);
}

export function createRng(seed: string): Rng {
  const prng = seedrandom.alea(seed);
  let spare: number | null = null;
  return {
    next: () => prng(),
    int: (n: number) => Math.floor(prng() * n),
    uint32: () => prng.int32() >>> 0,
    normal: () => {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = prng();
      const v = prng();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** The seeds of one rollout (derived in src/engine/seeds.ts alone). Environment and agent streams never share a seed. */
export interface RolloutSeeds {
  /** Shared by every rollout of a group: (base, horizon, instance). */
  env: string;
  /** Unique to the rollout: (base, agent, horizon, instance, index). */
  agent: string;
}
