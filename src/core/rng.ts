/**
 * Seeded randomness. Every stream is created from a seed string derived from
 * a rollout's coordinates, never from a shared running stream, so rollout k
 * is a function of its own seed alone. There is no Math.random anywhere.
 */
import seedrandom from 'seedrandom';
import { canonicalJson, hashString } from './canonical.js';

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

/** What a base seed may be: said once, for every message about one. */
export const SEED_RULE = 'a seed is a whole number from 0 to 2^53 − 1 (9007199254740991) or a non-empty string, e.g. 1 or "pilot-a"';

/** Whether `seed` may be a scenario's base seed: null when it may, else why not (SEED_RULE and what it got). */
export function checkSeed(seed: unknown): string | null {
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) return null;
  if (typeof seed === 'string' && seed.length > 0) return null;
  const got = seed === undefined ? 'none' : typeof seed === 'number' ? String(seed) : typeof seed === 'string' ? '""' : JSON.stringify(seed);
  return `${SEED_RULE}; got ${got}`;
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
