/**
 * The environment contract checker. `checkEnvironment` drives an environment
 * directly (no engine, no agent) and returns every contract violation it
 * finds, each with a message naming the likely cause; `assertEnvironment`
 * throws them as one HotmessError. Every environment's test calls it.
 *
 * What is checked, per horizon and per check seed:
 * - params parse with the environment's schema and `checkHorizon` accepts the horizon;
 * - seed determinism: two resets from the same seed give the same state hash,
 *   observation and instructions, and the same oracle trajectory: at every
 *   step the same action, state hash, reward, observation text and data,
 *   measure and features;
 * - a seeded random policy (uniform over discrete actions, `perturb` on
 *   numeric ones) walked twice from the same seeds gives the same trace,
 *   illegal moves included, and every state it reaches is well formed;
 * - on discrete actions, a wrong trajectory (a non-oracle action at every
 *   step, an accepted one where there is one) does not end in a success;
 * - a step before reset (on an `undefined` state) is refused: it throws or is illegal;
 * - the oracle's action is always in `actions(state)` and is accepted by `step`;
 * - `step` never mutates the state it is given;
 * - horizon truncation: the oracle terminates at exactly step H, never before;
 * - the oracle reaches the goal: the final outcome is a success;
 * - measure, outcome and feature vectors have matching lengths and finite numbers,
 *   and on the oracle's own trajectory the measure equals its target;
 * - `observe(state).text` is a non-empty string;
 * - `perturb` and `systematicError`, when given, return actions in the action space.
 *
 * Pure apart from the environment's own work; no I/O.
 */
import { canonicalJson, hashString } from './canonical.js';
import { checkAction, type Action, type AnyEnvironment, type Measure, type Outcome, type OutcomeKind } from './environment.js';
import { errorText, HotmessError, zodIssue } from './errors.js';
import { createRng, type Rng } from './rng.js';

export type CheckName =
  | 'params'
  | 'horizon'
  | 'determinism'
  | 'before-reset'
  | 'oracle-legal'
  | 'step'
  | 'purity'
  | 'truncation'
  | 'goal'
  | 'measure'
  | 'outcome'
  | 'features'
  | 'observation'
  | 'actions'
  | 'walk'
  | 'wrong-success';

export interface CheckFailure {
  readonly check: CheckName;
  readonly message: string;
  readonly horizon?: number;
  readonly seed?: string;
  /** The step after which the failure was seen (0 = the reset state). */
  readonly t?: number;
}

export interface CheckOptions {
  /** Environment seeds to reset from; two by default. */
  readonly seeds?: readonly string[];
}

const DEFAULT_SEEDS = ['check-0', 'check-1'] as const;
/** Relative tolerance when comparing the oracle's measure with its target. */
const MEASURE_TOL = 1e-9;

/** Run the contract checks; an empty list means the environment passes. */
export function checkEnvironment(env: AnyEnvironment, params: unknown, horizons: readonly number[], options: CheckOptions = {}): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const parsed = env.params.safeParse(params ?? {});
  if (!parsed.success) {
    failures.push({ check: 'params', message: `params do not parse: ${zodIssue(parsed.error)}` });
    return failures;
  }
  const p = parsed.data;
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  let beforeResetChecked = false;
  for (const h of horizons) {
    if (!Number.isInteger(h) || h < 1) {
      failures.push({ check: 'horizon', horizon: h, message: `horizon ${h} is not a positive integer` });
      continue;
    }
    const bad = env.checkHorizon?.(h, p) ?? null;
    if (bad !== null) {
      failures.push({ check: 'horizon', horizon: h, message: `checkHorizon rejected horizon ${h}: ${bad}` });
      continue;
    }
    for (const seed of seeds) {
      const at = { horizon: h, seed };
      const before = failures.length;
      const first = runOracle(env, p, h, seed, failures);
      // "Wrong" means "not the oracle's": meaningless while the oracle itself fails.
      const oracleOk = failures.length === before;
      if (!first) continue;
      if (!beforeResetChecked) {
        beforeResetChecked = true;
        checkBeforeReset(env, first.firstAction, failures);
      }
      const second = runOracle(env, p, h, seed, null);
      if (second) compareRuns(first, second, at, failures);
      else failures.push({ check: 'determinism', ...at, message: 'a second reset from the same seed failed where the first succeeded' });
      const walked = randomWalk(env, p, h, seed, failures);
      const again = walked && randomWalk(env, p, h, seed, null);
      if (walked && again) compareWalks(walked, again, at, failures);
      if (oracleOk) checkWrongTrajectory(env, p, h, seed, failures);
    }
  }
  return failures;
}

/** As `checkEnvironment`, but throws one HotmessError listing every failure. */
export function assertEnvironment(env: AnyEnvironment, params: unknown, horizons: readonly number[], options?: CheckOptions): void {
  const failures = checkEnvironment(env, params, horizons, options);
  if (failures.length > 0) {
    throw new HotmessError('input', `environment ${env.name} fails its contract (${failures.length}): ${failures.map(formatFailure).join('; ')}`);
  }
}

/** One line: `[check] H=8 seed=check-0 t=3: message`. */
export function formatFailure(f: CheckFailure): string {
  const where = [f.horizon !== undefined ? `H=${f.horizon}` : '', f.seed !== undefined ? `seed=${f.seed}` : '', f.t !== undefined ? `t=${f.t}` : '']
    .filter((s) => s.length > 0)
    .join(' ');
  return `[${f.check}]${where ? ' ' + where : ''}: ${f.message}`;
}

interface Where {
  readonly horizon: number;
  readonly seed: string;
  readonly t?: number;
}

/** What one oracle run produced, for the determinism comparison. */
interface OracleRun {
  readonly resetHash: string;
  readonly resetText: string;
  readonly instructions: string;
  readonly actionKeys: string[];
  readonly hashes: string[];
  /** Per step: what the engine logs besides the action and state hash. */
  readonly traces: StepTrace[];
  readonly firstAction: Action;
}

/** What the engine logs at a step besides action and state hash, each canonical, for comparing runs field by field. */
interface StepTrace {
  readonly reward: string;
  readonly text: string;
  readonly data: string;
  readonly measure: string;
  readonly features: string;
}

const TRACE_FIELDS: readonly { key: keyof StepTrace; what: string }[] = [
  { key: 'reward', what: 'rewards' },
  { key: 'text', what: 'observation texts' },
  { key: 'data', what: 'observe().data' },
  { key: 'measure', what: 'measures' },
  { key: 'features', what: 'features' },
];

/** The trace of a state reached with `reward` after step t; exceptions become "throws" (reported elsewhere). */
function traceOf(env: AnyEnvironment, state: unknown, reward: number, t: number): StepTrace {
  const safe = (f: () => unknown): string => {
    try {
      return canonicalJson(f() ?? null);
    } catch {
      return 'throws';
    }
  };
  let text = 'throws';
  let data = 'throws';
  try {
    const o = env.observe(state);
    text = hashString(String(o.text));
    data = canonicalJson(o.data ?? null);
  } catch {
    /* observe failures are reported by checkState */
  }
  return {
    reward: String(reward),
    text,
    data,
    measure: env.measure ? safe(() => env.measure!(state, t)) : '',
    features: env.features ? safe(() => env.features!(state)) : '',
  };
}

/**
 * Reset and follow the oracle to termination (or H steps). Failures go to
 * `failures` when given; the second, determinism run passes null and is only compared.
 */
function runOracle(env: AnyEnvironment, params: unknown, h: number, seed: string, failures: CheckFailure[] | null): OracleRun | null {
  const sink = failures ?? [];
  const at = (t: number): Where => ({ horizon: h, seed, t });
  let state: unknown = guard(sink, at(0), 'step', 'reset', () => env.reset(params, h, createRng(seed)));
  if (state === null) return null;
  const s0 = state;
  if (!checkState(env, s0, 0, at(0), sink, false)) return null;
  const resetHash = guard(sink, at(0), 'determinism', 'hash', () => env.hash(s0));
  const instructions = guard(sink, at(0), 'observation', 'instructions', () => (env.instructions ? env.instructions(s0) : ''));
  if (resetHash === null || instructions === null) return null;
  const run: OracleRun = { resetHash, resetText: env.observe(s0).text, instructions, actionKeys: [], hashes: [], traces: [], firstAction: null };
  let terminated = false;
  let systematicDiffers = false;
  for (let t = 1; t <= h; t++) {
    const where = at(t - 1);
    const space = guard(sink, where, 'actions', 'actions', () => env.actions(state));
    const action = guard(sink, where, 'oracle-legal', 'oracle', () => env.oracle(state) as Action);
    if (space === null || action === null) return run;
    if (t === 1) (run as { firstAction: Action }).firstAction = action;
    const illegal = checkAction(space, action);
    if (illegal !== null) {
      sink.push({ check: 'oracle-legal', ...where, message: `oracle action ${canonicalJson(action)} is not in actions(state) (${illegal}): oracle and actions() disagree` });
      return run;
    }
    if (canonicalJson(env.oracle(state)) !== canonicalJson(action)) {
      sink.push({ check: 'determinism', ...where, message: 'oracle(state) returned different actions on two calls: the oracle must be a pure function of the state' });
    }
    if (!checkDeviations(env, state, space, where, sink)) return run;
    if (env.systematicError && canonicalJson(env.systematicError(state)) !== canonicalJson(action)) systematicDiffers = true;
    const before = env.hash(state);
    const result = guard(sink, where, 'step', 'step', () => env.step(state, action));
    if (result === null) return run;
    if (env.hash(state) !== before) {
      sink.push({ check: 'purity', ...where, message: 'step mutated the state it was given: write only through the draft (typed arrays and class instances are not tracked by immer)' });
    }
    if (result.kind === 'illegal') {
      sink.push({ check: 'step', ...where, message: `step refused the oracle action ${canonicalJson(action)}: ${result.reason}` });
      return run;
    }
    state = result.state;
    run.actionKeys.push(canonicalJson(action));
    run.hashes.push(env.hash(state));
    run.traces.push(traceOf(env, state, result.reward, t));
    if (!Number.isFinite(result.reward)) sink.push({ check: 'step', ...at(t), message: `reward is ${result.reward}, not a finite number` });
    if (!checkState(env, state, t, at(t), sink, true)) return run;
    if (result.terminated) {
      terminated = true;
      if (t < h) {
        sink.push({ check: 'truncation', ...at(t), message: `the oracle terminated after ${t} of ${h} steps: the horizon should equal the oracle's trajectory length (check how reset sizes the instance)` });
      }
      break;
    }
  }
  if (!terminated) {
    sink.push({ check: 'truncation', horizon: h, seed, message: `the oracle did not terminate within ${h} steps: the task is longer than the horizon, or transition never reports terminated` });
  }
  if (env.systematicError && !systematicDiffers && run.actionKeys.length > 0) {
    sink.push({ check: 'actions', horizon: h, seed, message: 'systematicError equals the oracle action at every step: a biased agent would behave as the oracle' });
  }
  checkOutcome(env, state, h, seed, sink);
  return run;
}

/** Observation, measure and features at one state. Returns false when the run should stop. */
function checkState(env: AnyEnvironment, state: unknown, t: number, where: Where, sink: CheckFailure[], onOracle: boolean): boolean {
  const obs = guard(sink, where, 'observation', 'observe', () => env.observe(state));
  if (obs === null) return false;
  if (typeof obs.text !== 'string' || obs.text.trim().length === 0) {
    sink.push({ check: 'observation', ...where, message: 'observe(state).text is empty: an LLM agent would see nothing' });
  }
  const data = guard(sink, where, 'observation', 'canonicalJson(observe().data)', () => canonicalJson(obs.data));
  if (data === null) return false;
  const hash = guard(sink, where, 'determinism', 'hash', () => env.hash(state));
  if (hash === null) return false;
  if (typeof hash !== 'string') sink.push({ check: 'determinism', ...where, message: 'hash(state) is not a string' });
  if ((env.measure === undefined) !== (env.measureKind === undefined)) {
    sink.push({ check: 'measure', ...where, message: 'measure and measureKind must be given together' });
  }
  if (env.measure && env.measureKind && t > 0) {
    const m = guard(sink, where, 'measure', 'measure', () => env.measure!(state, t));
    if (m === null) return false;
    const problem = vectorProblem(m, env.measureKind);
    if (problem) sink.push({ check: 'measure', ...where, message: `measure(state, ${t}): ${problem}` });
    else if (onOracle && !sameVector(m.value, m.target)) {
      sink.push({
        check: 'measure',
        ...where,
        message: `on the oracle's own trajectory measure ${fmt(m.value)} differs from its target ${fmt(m.target)}: the reference trajectory should be the oracle's (same instance, same arithmetic)`,
      });
    }
  }
  if (env.features) {
    const f = guard(sink, where, 'features', 'features', () => env.features!(state));
    if (f === null) return false;
    if (!Array.isArray(f) || f.length === 0 || !f.every(Number.isFinite)) {
      sink.push({ check: 'features', ...where, message: `features(state) must be a non-empty array of finite numbers, got ${fmt(f)}` });
    }
  }
  return true;
}

/** perturb/systematicError must yield actions in the space. */
function checkDeviations(env: AnyEnvironment, state: unknown, space: ReturnType<AnyEnvironment['actions']>, where: Where, sink: CheckFailure[]): boolean {
  if (env.perturb) {
    const a = guard(sink, where, 'actions', 'perturb', () => env.perturb!(state, createRng(`check-perturb:${where.seed}:${where.t}`)) as Action);
    if (a === null) return false;
    const bad = checkAction(space, a);
    if (bad) sink.push({ check: 'actions', ...where, message: `perturb returned an action outside the action space: ${bad}` });
  }
  if (env.systematicError) {
    const a = guard(sink, where, 'actions', 'systematicError', () => env.systematicError!(state) as Action);
    if (a === null) return false;
    const bad = checkAction(space, a);
    if (bad) sink.push({ check: 'actions', ...where, message: `systematicError returned an action outside the action space: ${bad}` });
    if (canonicalJson(env.systematicError(state)) !== canonicalJson(a)) {
      sink.push({ check: 'actions', ...where, message: 'systematicError is not deterministic: it must not use randomness' });
    }
  }
  return true;
}

function checkOutcome(env: AnyEnvironment, state: unknown, h: number, seed: string, sink: CheckFailure[]): void {
  const where = { horizon: h, seed };
  const out = guard(sink, where, 'outcome', 'outcome', () => env.outcome(state));
  if (out === null) return;
  if (out.kind !== env.outcomeKind) {
    sink.push({ check: 'outcome', ...where, message: `outcome kind ${out.kind} differs from the declared outcomeKind ${env.outcomeKind}` });
  }
  const problem = vectorProblem(out, out.kind);
  if (problem) sink.push({ check: 'outcome', ...where, message: `outcome: ${problem}` });
  if (out.success !== true) {
    sink.push({ check: 'goal', ...where, message: `the oracle did not reach the goal: final outcome ${fmt(out.value)} vs target ${fmt(out.target)} is not a success` });
  }
  if (env.secondaryOutcomes) {
    const sec = guard(sink, where, 'outcome', 'secondaryOutcomes', () => env.secondaryOutcomes!(state));
    if (sec === null) return;
    for (const [name, o] of Object.entries(sec)) {
      const p = vectorProblem(o, o.kind);
      if (p) sink.push({ check: 'outcome', ...where, message: `secondary outcome ${name}: ${p}` });
    }
  }
}

/** Why a value/target pair is malformed for its kind, or null. */
function vectorProblem(m: Measure | Outcome, kind: OutcomeKind): string | null {
  const { value, target } = m;
  if (!Array.isArray(value) || !Array.isArray(target)) return 'value and target must be arrays';
  if (value.length === 0 || value.length !== target.length) return `value has length ${value.length} but target ${target.length}`;
  if (!value.every(Number.isFinite) || !target.every(Number.isFinite)) return `non-finite numbers in ${fmt(value)} / ${fmt(target)}`;
  if (kind === 'coverage') {
    if (!value.every((v) => v === 0 || v === 1)) return `coverage values must be 0 or 1, got ${fmt(value)}`;
    if (!target.every((v) => v === 1)) return `coverage target must be all ones, got ${fmt(target)}`;
  }
  if (kind === 'brier' || kind === 'kl') {
    const sum = value.reduce((a, b) => a + b, 0);
    if (value.some((v) => v < 0) || Math.abs(sum - 1) > 1e-6) return `${kind} value must be a probability vector, got ${fmt(value)}`;
    if (target.filter((v) => v === 1).length !== 1 || !target.every((v) => v === 0 || v === 1)) return `${kind} target must be one-hot, got ${fmt(target)}`;
  }
  return null;
}

function sameVector(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > MEASURE_TOL * Math.max(1, Math.abs(a[i]), Math.abs(b[i]))) return false;
  }
  return true;
}

/** A step on an undefined state must not produce a state. */
function checkBeforeReset(env: AnyEnvironment, action: Action, sink: CheckFailure[]): void {
  let result: ReturnType<AnyEnvironment['step']>;
  try {
    result = env.step(undefined, action);
  } catch {
    return; // refused: the engine reports its own clear error before ever getting here
  }
  if (result.kind === 'ok') {
    sink.push({ check: 'before-reset', message: 'step accepted an action before reset (state undefined): transition must read the state that reset built' });
  }
}

function compareRuns(a: OracleRun, b: OracleRun, where: Where, sink: CheckFailure[]): void {
  const cause = 'all randomness must come from the rng given to reset (no Math.random, no module-level state)';
  if (a.resetHash !== b.resetHash) sink.push({ check: 'determinism', ...where, t: 0, message: `same seed gave different reset state hashes: ${cause}` });
  if (a.resetText !== b.resetText) sink.push({ check: 'determinism', ...where, t: 0, message: `same seed gave different first observations: ${cause}` });
  if (a.instructions !== b.instructions) sink.push({ check: 'determinism', ...where, t: 0, message: `same seed gave different instructions: ${cause}` });
  const n = Math.max(a.actionKeys.length, b.actionKeys.length);
  for (let i = 0; i < n; i++) {
    if (a.actionKeys[i] !== b.actionKeys[i] || a.hashes[i] !== b.hashes[i]) {
      sink.push({ check: 'determinism', ...where, t: i + 1, message: `same seed gave different oracle trajectories from step ${i + 1}: ${cause}` });
      return;
    }
    const field = differingField(a.traces[i], b.traces[i]);
    if (field) {
      sink.push({ check: 'determinism', ...where, t: i + 1, message: `same seed and same actions gave different ${field} at step ${i + 1}: ${cause}` });
      return;
    }
  }
}

function differingField(a: StepTrace | undefined, b: StepTrace | undefined): string | null {
  if (!a || !b) return null;
  for (const f of TRACE_FIELDS) if (a[f.key] !== b[f.key]) return f.what;
  return null;
}

/** One step of the random walk as the log would show it. */
interface WalkStep {
  readonly action: string;
  readonly illegal: string | null;
  readonly hash: string;
  readonly trace: StepTrace | null;
}

/** An action of the seeded random policy: uniform on a discrete space, `perturb` on a numeric one (the oracle without it). */
function randomPolicyAction(env: AnyEnvironment, state: unknown, space: ReturnType<AnyEnvironment['actions']>, rng: Rng): Action {
  if (space.kind === 'discrete') return space.actions[rng.int(space.actions.length)] as Action;
  return (env.perturb ? env.perturb(state, rng) : env.oracle(state)) as Action;
}

/**
 * Walk a seeded random policy for up to H steps from the seed's reset state,
 * checking every state it reaches (failures go to `sink` when given). Refused
 * actions leave the state as it was, as in the engine.
 */
function randomWalk(env: AnyEnvironment, params: unknown, h: number, seed: string, failures: CheckFailure[] | null): WalkStep[] | null {
  const sink = failures ?? [];
  const at = (t: number): Where => ({ horizon: h, seed, t });
  let state: unknown = guard(sink, at(0), 'walk', 'reset', () => env.reset(params, h, createRng(seed)));
  if (state === null) return null;
  const rng = createRng(`check-walk:${seed}`);
  const steps: WalkStep[] = [];
  for (let t = 1; t <= h; t++) {
    const where = at(t - 1);
    const space = guard(sink, where, 'walk', 'actions', () => env.actions(state));
    if (space === null) return steps;
    const action = guard(sink, where, 'walk', space.kind === 'discrete' ? 'actions' : 'perturb', () => randomPolicyAction(env, state, space, rng));
    if (action === null) return steps;
    const result = guard(sink, where, 'walk', `step(${fmt(action)}) on the random walk`, () => env.step(state, action));
    if (result === null) return steps;
    if (result.kind === 'illegal') {
      steps.push({ action: canonicalJson(action), illegal: result.reason, hash: env.hash(state), trace: null });
      continue;
    }
    state = result.state;
    if (!Number.isFinite(result.reward)) sink.push({ check: 'walk', ...at(t), message: `reward is ${result.reward} on the random walk, not a finite number` });
    if (!checkState(env, state, t, at(t), sink, false)) return steps;
    steps.push({ action: canonicalJson(action), illegal: null, hash: env.hash(state), trace: traceOf(env, state, result.reward, t) });
    if (result.terminated) break;
  }
  const out = guard(sink, { horizon: h, seed }, 'walk', 'outcome after the random walk', () => env.outcome(state));
  if (out !== null) {
    const problem = vectorProblem(out, out.kind);
    if (problem) sink.push({ check: 'outcome', horizon: h, seed, message: `outcome after the random walk: ${problem}` });
  }
  return steps;
}

function compareWalks(a: readonly WalkStep[], b: readonly WalkStep[], where: Where, sink: CheckFailure[]): void {
  const cause = 'all randomness must come from the rng given to reset, and step must be a function of (state, action)';
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    let what: string | null = null;
    if (!x || !y) what = 'lengths';
    else if (x.action !== y.action) what = 'actions (actions() or perturb differ)';
    else if (x.illegal !== y.illegal) what = 'verdicts on the same action (legal in one walk, refused in the other)';
    else if (x.hash !== y.hash) what = 'state hashes';
    else what = differingField(x.trace ?? undefined, y.trace ?? undefined);
    if (what) {
      sink.push({ check: 'walk', ...where, t: i + 1, message: `the same seeded random walk gave different ${what} at step ${i + 1}: ${cause}` });
      return;
    }
  }
}

/**
 * Take a non-oracle action at every step where one is accepted (else any
 * non-oracle action, refused, as an agent's would be) for H steps; the
 * outcome must not be a success. Skipped when no wrong action exists.
 */
function checkWrongTrajectory(env: AnyEnvironment, params: unknown, h: number, seed: string, sink: CheckFailure[]): void {
  let state: unknown;
  try {
    state = env.reset(params, h, createRng(seed));
  } catch {
    return; // reported by the oracle run
  }
  let wrong = 0;
  try {
    for (let t = 1; t <= h; t++) {
      const space = env.actions(state);
      const correct = canonicalJson(env.oracle(state));
      // On numeric actions "wrong" is a matter of degree and success a tolerance: not checked.
      if (space.kind !== 'discrete') return;
      const candidates = space.actions.filter((a) => canonicalJson(a) !== correct) as Action[];
      if (candidates.length === 0) return;
      for (const a of candidates) {
        const r = env.step(state, a);
        if (r.kind !== 'ok') continue;
        state = r.state;
        wrong++;
        if (r.terminated) t = h;
        break;
      }
    }
    if (wrong === 0) return;
    const out = env.outcome(state);
    if (out.success === true) {
      sink.push({
        check: 'wrong-success',
        horizon: h,
        seed,
        message: `a trajectory of ${wrong} non-oracle action(s) ends in a success (outcome ${fmt(out.value)} vs target ${fmt(out.target)}): success must mean the task was done right, judged against the reference, not merely that the episode ended`,
      });
    }
  } catch {
    // An exception on a wrong action is the walk's and the oracle run's to report.
  }
}

/** Run `f`; an exception becomes a failure naming the method that threw. */
function guard<T>(sink: CheckFailure[], where: Partial<Where>, check: CheckName, method: string, f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    sink.push({ check, ...where, message: `${method} threw: ${errorText(e)}` });
    return null;
  }
}

function fmt(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
