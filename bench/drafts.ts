/**
 * What a step's transition costs under immer and on the shallow draft
 * (src/core/shallow-draft.ts), per environment: the same (state, action)
 * pairs, taken from an oracle trajectory with one wrong action in ten, are
 * stepped with `env.step` with shallow drafts off, then on. CPU time per
 * step, best of three rounds.
 *
 * Prints one line per environment:
 *   bench drafts env=<env> immer_ns=<ns/step> shallow_ns=<ns/step> speedup=<immer/shallow>
 */
import { REGISTRY } from '../src/cli/registry.js';
import { createRng, horizonProblem, setShallowDrafts, type Action, type AnyEnvironment } from '../src/core/index.js';

/** About this many steps per timed pass. */
const STEPS = 50_000;

function pairs(env: AnyEnvironment): { state: unknown; action: Action }[] {
  const params = env.params.parse({});
  const horizon = [64, 63, 100, 40, 31].find((h) => horizonProblem(env, h, params) === null) ?? 10;
  const out: { state: unknown; action: Action }[] = [];
  const rng = createRng('bench-drafts');
  // Instances built once, shared by every pass (as the engine shares them).
  for (let seed = 0; out.length < 4096 && seed < 64; seed++) {
    let state = env.reset(params, horizon, createRng(`bench-drafts-${seed}`));
    for (let t = 0; t < horizon; t++) {
      const space = env.actions(state);
      const wrong = rng.next() < 0.1;
      const action = wrong && space.kind === 'discrete' ? space.actions[rng.int(space.actions.length)] : wrong && env.perturb ? env.perturb(state, rng) : env.oracle(state);
      out.push({ state, action });
      const r = env.step(state, action);
      if (r.kind !== 'ok') continue;
      state = r.state;
      if (r.terminated) break;
    }
  }
  return out;
}

function nsPerStep(env: AnyEnvironment, work: readonly { state: unknown; action: Action }[], shallow: boolean): number {
  const was = setShallowDrafts(shallow);
  try {
    let best = Infinity;
    const passes = Math.max(1, Math.round(STEPS / work.length));
    for (let round = 0; round < 3; round++) {
      const t0 = process.cpuUsage();
      let sink = 0;
      for (let p = 0; p < passes; p++) for (const { state, action } of work) if (env.step(state, action).kind === 'ok') sink++;
      const d = process.cpuUsage(t0);
      if (sink < 0) throw new Error('unreachable');
      best = Math.min(best, ((d.user + d.system) * 1000) / (passes * work.length));
    }
    return best;
  } finally {
    setShallowDrafts(was);
  }
}

export async function main(envs: string[] = Object.keys(REGISTRY.environments)): Promise<void> {
  for (const name of envs) {
    const env = REGISTRY.environments[name];
    if (!env) throw new Error(`bench drafts: no environment ${name}`);
    const work = pairs(env);
    // Warm both paths, then measure immer first and the shallow path second.
    nsPerStep(env, work.slice(0, 256), false);
    nsPerStep(env, work.slice(0, 256), true);
    const immer = nsPerStep(env, work, false);
    const shallow = nsPerStep(env, work, true);
    process.stdout.write(`bench drafts env=${name} immer_ns=${immer.toFixed(0)} shallow_ns=${shallow.toFixed(0)} speedup=${(immer / shallow).toFixed(2)}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
