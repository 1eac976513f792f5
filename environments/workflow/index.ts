/**
 * workflow: an on-call incident-response runbook authored as an xstate v5
 * statechart (runbook.ts). Copy this folder to design your own workflow:
 * edit runbook.ts (the machine, its layout and texts); compile.ts and
 * mermaid.ts are generic.
 *
 * - Models: a long procedure with branches (the fix depends on the seeded
 *   cause, the channel on the seeded severity), guards and retries (health
 *   checks fail for the first k attempts, k seeded per stage).
 * - Horizon H: the number of steps on the shortest path through the whole
 *   shift. `layout` chains as many stages as fit in H (see runbook.ts); reset
 *   checks by BFS that the shortest path is exactly H.
 * - Actions: the event types the current configuration accepts, from the
 *   machine (a discrete list of strings). Any other event is illegal.
 * - Oracle: the first event on a shortest path to the final state, by BFS
 *   over the statechart's reachable configurations (precomputed per instance).
 * - Ground truth: per step, progress along the shortest path, H − (distance
 *   to the end), against the reference trajectory's progress t (squared).
 * - Outcome: coverage over stages: 1 for each completed stage.
 *
 * The hot path never calls xstate: reset compiles the machine with xstate's
 * own pure transition() into a table (memoised per instance, since every
 * rollout of a group shares one), and a step is a table lookup.
 */
import { z } from 'zod';
import { canonicalJson, defineEnvironment, hashString, HotmessError, IdleMemo, type ActionSpace, type Observation, type Rng } from '../../src/core/index.js';
import { compileChart, type CompiledChart } from './compile.js';
import { machineToMermaid } from './mermaid.js';
import { buildRunbook, instanceFlags, layout, locate, RULES, situation, type RunbookContext, type StageKind } from './runbook.js';

const Params = z.object({
  maxFailures: z.number().int().min(0).max(2).default(2).describe('most health-check failures in one verify stage (above 2, escalating would be a shortcut)'),
});
type Params = z.infer<typeof Params>;

/** One compiled instance; a class instance, so immer never drafts it. */
class Runbook {
  constructor(
    readonly stages: readonly StageKind[],
    readonly chart: CompiledChart,
    readonly horizon: number,
    /** Per configuration: the observation, the action space and the completed-stage count. */
    readonly observations: readonly Observation[],
    readonly spaces: readonly ActionSpace<string>[],
    readonly completed: Int32Array,
  ) {}
}

interface State {
  readonly instance: Runbook;
  /** Index of the current configuration in the compiled chart. */
  readonly config: number;
}

/** Memos of pure functions, let go once the process stops resetting instances (a chart at 8,000 steps is tens of MB). */
const MEMO_LIMIT = 64;
const MACHINES = new IdleMemo<string, ReturnType<typeof buildRunbook>>(MEMO_LIMIT);
const COMPILED = new IdleMemo<string, Runbook>(MEMO_LIMIT);

function machineFor(stages: readonly StageKind[]): ReturnType<typeof buildRunbook> {
  const key = stages.join(',');
  let m = MACHINES.get(key);
  if (!m) {
    m = buildRunbook(stages);
    MACHINES.set(key, m);
  }
  return m;
}

function compile(params: Params, horizon: number, rng: Rng): Runbook {
  const stages = layout(horizon, params.maxFailures);
  const flags = instanceFlags(stages, params.maxFailures, rng);
  const key = canonicalJson([horizon, params.maxFailures, flags]);
  const hit = COMPILED.get(key);
  if (hit) return hit;
  const chart = compileChart(machineFor(stages), { flags });
  if (chart.dist[0] !== horizon) {
    throw new HotmessError('internal', `workflow: the shortest path is ${chart.dist[0]} steps, not the horizon ${horizon}; layout and instanceFlags disagree`);
  }
  const observations: Observation[] = [];
  const spaces: ActionSpace<string>[] = [];
  const completed = new Int32Array(chart.size);
  for (let c = 0; c < chart.size; c++) {
    const snap = chart.snapshots[c];
    const { stage, local } = locate(snap.value, stages);
    const ctx = snap.context as RunbookContext;
    const events = chart.events[c];
    completed[c] = stage;
    spaces.push({ kind: 'discrete', actions: events });
    const where = stage < stages.length ? `Stage ${stage + 1} of ${stages.length} (${stages[stage]})` : 'Done';
    const text = stage < stages.length ? situation(stages[stage], local, ctx.flags[stage], ctx.attempts) : situation('handover', 'resolved', { service: '' }, 0);
    observations.push({
      data: { stage: stage + 1, stages: stages.length, state: local, actions: [...events] },
      text: `${where}. ${text}${events.length ? ` Available actions: ${events.join(', ')}.` : ''}`,
    });
  }
  const runbook = new Runbook(stages, chart, horizon, observations, spaces, completed);
  COMPILED.set(key, runbook);
  return runbook;
}

function oracleEvent(s: State): string {
  const { chart } = s.instance;
  const k = chart.best[s.config];
  const events = chart.events[s.config];
  return k >= 0 ? events[k] : (events[0] ?? 'SUBMIT_HANDOVER');
}

export default defineEnvironment<Params, State, string>({
  name: 'workflow',
  description: 'On-call incident-response runbook authored as an xstate statechart: branches, guards and retries.',
  params: Params,
  horizonMeaning: 'steps on the shortest path through the shift; stages are chained until their costs sum to H',
  // Compiling the statechart takes seconds and hundreds of MB at 10,000; minutes and GBs beyond.
  maxHorizon: 10_000,
  reset(params, horizon, rng) {
    return { instance: compile(params, horizon, rng), config: 0 };
  },
  actions: (s) => s.instance.spaces[s.config],
  transition(draft, action, s) {
    const { chart, completed } = s.instance;
    const c = s.config;
    const events = chart.events[c];
    const k = events.indexOf(action);
    if (k < 0) return { illegal: `${String(action)} is not accepted here (accepted: ${events.join(', ') || 'none'})` };
    const n = chart.next[c][k];
    draft.config = n;
    return { reward: completed[n] - completed[c], terminated: chart.final[n] === 1 };
  },
  instructions: () => RULES,
  observe: (s) => s.instance.observations[s.config],
  oracle: oracleEvent,
  measure(s, t) {
    const { chart, horizon } = s.instance;
    return { value: [horizon - chart.dist[s.config]], target: [Math.min(t, horizon)] };
  },
  measureKind: 'squared',
  outcome(s) {
    const { stages, completed, chart } = s.instance;
    const done = completed[s.config];
    const value = stages.map((_, i) => (i < done ? 1 : 0));
    return { kind: 'coverage', value, target: value.map(() => 1), success: chart.final[s.config] === 1 };
  },
  outcomeKind: 'coverage',
  outcomeMeaning: 'coverage over stages: which runbook stages were completed; success = shift resolved',
  hash: (s) => hashString(String(s.config)),
  systematicError(s) {
    // A fixed habit: the first accepted event that is not the oracle's (the oracle's when it is the only one).
    const best = oracleEvent(s);
    for (const e of s.instance.chart.events[s.config]) if (e !== best) return e;
    return best;
  },
  chart: (params, horizon) => machineToMermaid(machineFor(layout(horizon, Params.parse(params ?? {}).maxFailures))),
});
