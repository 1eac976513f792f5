import { describe, expect, it } from 'vitest';
import { GroupSteps, type StepLine } from '../../src/analysis/step-store.js';
import { groupCurves } from '../../src/analysis/step-curves.js';
import { decompose, entropyBits, featureDivergence, hashDivergence, hazard, incoherence, pairAgreement } from '../../src/metrics/index.js';

/**
 * groupCurves reads a group's steps a block of steps at a time; here each
 * curve is recomputed from its definition, step by step and rollout by
 * rollout, on seeded random groups whose rollouts end inside, at and across
 * block edges, with and without features, measures and oracles.
 */
interface Rollout {
  readonly actions: (string | number)[];
  readonly oracle: (string | number | undefined)[];
  readonly features: (number[] | undefined)[];
  readonly measures: (number[] | undefined)[];
  readonly states: string[];
}

function randomGroup(rand: (n: number) => number, shape: { features: boolean; dim: number; oracle: boolean; measured: boolean }) {
  const n = 1 + rand(12);
  // Lengths around the block sizes (16, 64): 0, short, one block, a few blocks.
  const lengths = Array.from({ length: n }, () => [0, 1, 15, 16, 17, 33, 64, 65, 130][rand(9)] + (rand(3) === 0 ? rand(40) : 0));
  const targets = Array.from({ length: Math.max(0, ...lengths) }, (_, t) => Array.from({ length: shape.dim }, (_, j) => t + j));
  const rollouts: Rollout[] = lengths.map((len) => {
    const r: Rollout = { actions: [], oracle: [], features: [], measures: [], states: [] };
    let pos = 0;
    for (let t = 0; t < len; t++) {
      // Mostly the same action, sometimes another: prefixes split at random steps.
      const a = rand(8) === 0 ? rand(5) : 1;
      r.actions.push(rand(2) === 0 ? a : `a${a}`);
      r.oracle.push(shape.oracle ? (rand(6) === 0 ? 2 : r.actions[t]) : undefined);
      pos += a;
      r.features.push(shape.features ? Array.from({ length: shape.dim }, (_, j) => pos * (j + 1)) : undefined);
      r.measures.push(shape.measured && rand(5) !== 0 ? Array.from({ length: shape.dim }, (_, j) => pos + j + rand(3)) : undefined);
      r.states.push((pos % 7).toString(16).padStart(14, '0'));
    }
    return r;
  });
  return { rollouts, targets };
}

function store(rollouts: readonly Rollout[], targets: readonly number[][], useStates: boolean): GroupSteps {
  const gs = new GroupSteps(
    rollouts.map((r) => r.actions.length),
    'steps.jsonl',
    useStates,
  );
  rollouts.forEach((r, slot) =>
    r.actions.forEach((action, i) => {
      const rec: StepLine = {
        rollout: `r${slot}`,
        t: i + 1,
        action,
        ...(r.oracle[i] !== undefined ? { oracle: r.oracle[i] } : {}),
        state: r.states[i],
        ...(r.measures[i] ? { measure: r.measures[i], target: targets[i] } : {}),
        ...(r.features[i] ? { features: r.features[i] } : {}),
      };
      gs.add(slot, rec, i + 1);
    }),
  );
  return gs;
}

/** Every curve of every step from its definition. */
function reference(rollouts: readonly Rollout[], targets: readonly number[][], features: boolean, dim: number) {
  const N = rollouts.length;
  const T = Math.max(0, ...rollouts.map((r) => r.actions.length));
  const key = (a: string | number) => JSON.stringify(a);
  let prevS: number | null = N >= 2 ? 1 : null;
  const firstMismatch = rollouts.map((r) => {
    const i = r.actions.findIndex((a, j) => r.oracle[j] !== undefined && a !== r.oracle[j]);
    return i < 0 ? Infinity : i + 1;
  });
  const hasOracle = rollouts.some((r) => r.oracle.some((o) => o !== undefined));
  return Array.from({ length: T }, (_, i) => {
    const t = i + 1;
    const alive = rollouts.filter((r) => r.actions.length >= t);
    const counts = new Map<string, number>();
    for (const r of alive) counts.set(key(r.actions[i]), (counts.get(key(r.actions[i])) ?? 0) + 1);
    const prefixes = new Map<string, number>();
    for (const r of rollouts) {
      const p = Array.from({ length: t }, (_, j) => (j < r.actions.length ? key(r.actions[j]) : 'END')).join(',');
      prefixes.set(p, (prefixes.get(p) ?? 0) + 1);
    }
    let pairs = 0;
    for (const c of prefixes.values()) pairs += c * (c - 1);
    const survival = N < 2 ? null : pairs / (N * (N - 1));
    const started = rollouts.filter((r) => r.actions.length > 0);
    const at = (r: Rollout) => Math.min(t, r.actions.length) - 1;
    const stateDivergence = features
      ? featureDivergence(started.flatMap((r) => r.features[at(r)]!), started.length, dim)
      : hashDivergence(started.map((r) => Number('0x' + r.states[at(r)])));
    const measured = alive.filter((r) => r.measures[i] !== undefined);
    const dec = targets[i] && measured.length > 0 ? decompose('squared', measured.flatMap((r) => r.measures[i]!), measured.length, dim, targets[i]) : null;
    const split = measured.length >= 2 ? dec : null;
    const judged = alive.filter((r) => r.oracle[i] !== undefined);
    const step = {
      t,
      alive: alive.length,
      actionAgreement: pairAgreement([...counts.values()], alive.length),
      actionEntropy: entropyBits([...counts.values()], alive.length),
      survival,
      hazard: hazard(prevS, survival),
      distinctPrefixes: prefixes.size,
      modalShare: N > 0 ? Math.max(...prefixes.values()) / N : null,
      stateDivergence,
      taskAccuracy: hasOracle && N > 0 ? firstMismatch.filter((f) => f > t).length / N : null,
      stepAccuracy: judged.length > 0 ? judged.filter((r) => r.oracle[i] === r.actions[i]).length / judged.length : null,
      biasSq: split ? split.biasSq : null,
      variance: split ? split.variance : null,
      error: dec ? dec.error : null,
      incoherence: split ? incoherence(split.variance, split.error, split.floor) : null,
    };
    prevS = survival;
    return step;
  });
}

describe('groupCurves, block by block', () => {
  it('gives every curve as its definition does, on seeded random groups', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    let steps = 0;
    for (let k = 0; k < 120; k++) {
      const shape = { features: k % 2 === 0, dim: 1 + (k % 3), oracle: k % 4 !== 1, measured: k % 5 !== 0 };
      const { rollouts, targets } = randomGroup(rand, shape);
      const curves = groupCurves(store(rollouts, targets, !shape.features), shape.measured ? 'squared' : null);
      const expected = reference(rollouts, targets, shape.features, shape.dim);
      if (!shape.measured) for (const s of expected) Object.assign(s, { biasSq: null, variance: null, error: null, incoherence: null });
      expect(curves.steps).toEqual(expected);
      steps += expected.length;
    }
    // The groups reach across several blocks.
    expect(steps).toBeGreaterThan(120 * 40);
  });
});
