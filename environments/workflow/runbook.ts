/**
 * The on-call runbook as an xstate v5 statechart: the part to copy and edit
 * when designing your own workflow scenario.
 *
 * A shift is a chain of stages. Each stage is a compound state whose final
 * child ends it (`onDone` moves to the next stage); the last stage leads to
 * the top-level final state `resolved`. Four stage templates:
 *
 * | template    | shortest path                  | what can go wrong                                  |
 * |-------------|--------------------------------|----------------------------------------------------|
 * | acknowledge | ACKNOWLEDGE (1)                | SNOOZE wastes a step                               |
 * | diagnose    | CHECK_LOGS, fix (2)            | CHECK_DASHBOARD wastes a step; the wrong fix for   |
 * |             |                                | the seeded cause needs a REVERT                    |
 * | verify      | RUN_CHECKS, RETRY × k (1 + k)  | checks fail the first k times (seeded); ESCALATE   |
 * | notify      | the right channel (1)          | the wrong channel for the seeded severity: REVISE  |
 * | handover    | SUBMIT_HANDOVER (1)            | CHECK_DASHBOARD wastes a step (always last)        |
 *
 * Branches are guarded transitions whose guards read the seeded instance
 * flags in the context (`causeIs`, `severityIs`, `checksPass`); retries
 * count attempts in the context with `assign`.
 *
 * How H maps onto the chart: `layout` chains stages whose shortest-path
 * costs sum to exactly H. A verify stage costs 1 + k; `instanceFlags` deals
 * the instance's failures so that they total one per verify stage, so the
 * sum does not depend on the seed. Escalation (RUN_CHECKS, ESCALATE,
 * CONFIRM_FIX) costs 3, never less than 1 + k for k ≤ 2, which is why
 * maxFailures is capped at 2. The environment verifies the sum by BFS on
 * every instance it compiles.
 */
import { assign, setup, type AnyStateMachine } from 'xstate';
import type { Rng } from '../../src/core/index.js';

export type StageKind = 'acknowledge' | 'diagnose' | 'verify' | 'notify' | 'handover';
export type Cause = 'deploy' | 'database' | 'traffic';
export type Severity = 'major' | 'minor';

/** Seeded facts about one stage; a stage reads only the fields of its template. */
export interface StageFlags {
  readonly service: string;
  readonly cause?: Cause;
  readonly failures?: number;
  readonly severity?: Severity;
}

export interface RunbookContext {
  readonly flags: readonly StageFlags[];
  /** Health-check attempts in the current verify stage; 0 outside one. */
  readonly attempts: number;
}

const CAUSES: readonly Cause[] = ['deploy', 'database', 'traffic'];
const SERVICES = ['checkout-api', 'search', 'payments', 'login', 'inventory-sync', 'notifications', 'image-cdn', 'orders-db'];
/** The fix that resolves each cause. */
export const FIX_FOR: Record<Cause, string> = { deploy: 'ROLLBACK_DEPLOY', database: 'FAILOVER_DB', traffic: 'SCALE_OUT' };
/** The right channel for each severity. */
export const CHANNEL_FOR: Record<Severity, string> = { major: 'PAGE_STAKEHOLDERS', minor: 'POST_STATUS' };

/** Nominal shortest-path cost of each template (verify assumes its average of one failure). */
function nominalCost(kind: StageKind, maxFailures: number): number {
  return kind === 'diagnose' ? 2 : kind === 'verify' ? 1 + Math.min(1, maxFailures) : 1;
}

/**
 * The stages for horizon H: incidents (acknowledge, diagnose, verify,
 * notify) repeat until the budget runs out, a template that no longer fits
 * becomes a follow-up `notify` (cost 1), and `handover` closes the shift.
 * Deterministic: the chart depends on (H, params) only, never on the seed.
 */
export function layout(horizon: number, maxFailures: number): StageKind[] {
  const cycle: StageKind[] = ['acknowledge', 'diagnose', 'verify', 'notify'];
  const stages: StageKind[] = [];
  let budget = horizon - 1; // the handover
  for (let i = 0; budget > 0; i++) {
    const kind = cycle[i % cycle.length];
    const cost = nominalCost(kind, maxFailures);
    const chosen = cost <= budget ? kind : 'notify';
    stages.push(chosen);
    budget -= nominalCost(chosen, maxFailures);
  }
  stages.push('handover');
  return stages;
}

/**
 * Seeded instance flags. Failures: every verify stage starts with one, then
 * random moves shift failures between verify stages (each stays in
 * 0..maxFailures), so the total, and with it H, is the same for every seed.
 */
export function instanceFlags(stages: readonly StageKind[], maxFailures: number, rng: Rng): StageFlags[] {
  let service = SERVICES[rng.int(SERVICES.length)];
  const failures = stages.map((k) => (k === 'verify' ? Math.min(1, maxFailures) : 0));
  const verify = stages.flatMap((k, i) => (k === 'verify' ? [i] : []));
  for (let m = 0; m < 2 * verify.length && verify.length > 1; m++) {
    const from = verify[rng.int(verify.length)];
    const to = verify[rng.int(verify.length)];
    if (failures[from] > 0 && failures[to] < maxFailures) {
      failures[from] -= 1;
      failures[to] += 1;
    }
  }
  return stages.map((kind, i) => {
    if (kind === 'acknowledge') service = SERVICES[rng.int(SERVICES.length)];
    switch (kind) {
      case 'diagnose':
        return { service, cause: CAUSES[rng.int(CAUSES.length)] };
      case 'verify':
        return { service, failures: failures[i] };
      case 'notify':
        return { service, severity: rng.next() < 0.5 ? 'major' : 'minor' };
      default:
        return { service };
    }
  });
}

/** Implementations shared by every runbook machine; stage configs refer to them by name. */
const runbook = setup({
  types: {
    context: {} as RunbookContext,
    input: {} as { flags: readonly StageFlags[] },
    events: {} as { type: string },
  },
  guards: {
    causeIs: ({ context }, p: { stage: number; cause: Cause }) => context.flags[p.stage].cause === p.cause,
    severityIs: ({ context }, p: { stage: number; severity: Severity }) => context.flags[p.stage].severity === p.severity,
    checksPass: ({ context }, p: { stage: number }) => context.attempts >= (context.flags[p.stage].failures ?? 0),
  },
  actions: {
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    resetAttempts: assign({ attempts: 0 }),
  },
});

/** The id of stage i's compound state. */
export const stageId = (i: number, kind: StageKind): string => `s${i}_${kind}`;

/** The states of one stage: a compound state whose final child ends the stage. */
function stageConfig(kind: StageKind, i: number, next: string) {
  switch (kind) {
    case 'acknowledge':
      return {
        description: 'Acknowledge the page',
        initial: 'paged',
        onDone: next,
        states: {
          paged: { on: { ACKNOWLEDGE: 'acked', SNOOZE: 'snoozed' } },
          snoozed: { on: { ACKNOWLEDGE: 'acked', SNOOZE: 'snoozed' } },
          acked: { type: 'final' as const },
        },
      };
    case 'diagnose': {
      // Each fix is a guarded branch: right for the seeded cause → mitigated, else → mitigationFailed.
      const fix = (cause: Cause) => [
        { guard: { type: 'causeIs' as const, params: { stage: i, cause } }, target: 'mitigated' },
        { target: 'mitigationFailed' },
      ];
      return {
        description: 'Find the cause and apply the fix',
        initial: 'investigating',
        onDone: next,
        states: {
          investigating: { on: { CHECK_LOGS: 'diagnosed', CHECK_DASHBOARD: 'investigating' } },
          diagnosed: { on: { ROLLBACK_DEPLOY: fix('deploy'), FAILOVER_DB: fix('database'), SCALE_OUT: fix('traffic') } },
          mitigationFailed: { on: { REVERT: 'diagnosed', CHECK_DASHBOARD: 'mitigationFailed' } },
          mitigated: { type: 'final' as const },
        },
      };
    }
    case 'verify': {
      // Checks fail until `attempts` reaches the seeded failure count.
      const run = [
        { guard: { type: 'checksPass' as const, params: { stage: i } }, target: 'passed' },
        { target: 'failed', actions: 'countAttempt' as const },
      ];
      return {
        description: 'Verify the fix with health checks',
        initial: 'pending',
        entry: 'resetAttempts' as const,
        exit: 'resetAttempts' as const,
        onDone: next,
        states: {
          pending: { on: { RUN_CHECKS: run } },
          failed: { on: { RETRY: run, ESCALATE: 'escalated' } },
          escalated: { on: { CONFIRM_FIX: 'passed' } },
          passed: { type: 'final' as const },
        },
      };
    }
    case 'notify': {
      const send = (severity: Severity) => [
        { guard: { type: 'severityIs' as const, params: { stage: i, severity } }, target: 'sent' },
        { target: 'rejected' },
      ];
      return {
        description: 'Send the status update on the right channel',
        initial: 'drafting',
        onDone: next,
        states: {
          drafting: { on: { PAGE_STAKEHOLDERS: send('major'), POST_STATUS: send('minor') } },
          rejected: { on: { REVISE: 'drafting' } },
          sent: { type: 'final' as const },
        },
      };
    }
    case 'handover':
      return {
        description: 'Hand the shift over',
        initial: 'writing',
        onDone: next,
        states: {
          writing: { on: { SUBMIT_HANDOVER: 'submitted', CHECK_DASHBOARD: 'writing' } },
          submitted: { type: 'final' as const },
        },
      };
  }
}

/** The machine for a stage list: stages chained by `onDone`, ending in the final state `resolved`. */
export function buildRunbook(stages: readonly StageKind[]): AnyStateMachine {
  const states: Record<string, object> = {};
  stages.forEach((kind, i) => {
    const next = i + 1 < stages.length ? stageId(i + 1, stages[i + 1]) : 'resolved';
    states[stageId(i, kind)] = stageConfig(kind, i, next);
  });
  states.resolved = { type: 'final', description: 'Shift closed' };
  return runbook.createMachine({
    id: 'runbook',
    initial: stageId(0, stages[0]),
    context: ({ input }) => ({ flags: input.flags, attempts: 0 }),
    // The stage configs are built in a loop, which xstate's literal config typing cannot follow.
    states: states as Record<string, {}>,
  });
}

/** Where a configuration is: the stage index (stages.length once resolved) and the stage's child state. */
export function locate(value: unknown, stages: readonly StageKind[]): { stage: number; local: string } {
  if (typeof value === 'string') return { stage: stages.length, local: value };
  const [key, local] = Object.entries(value as Record<string, string>)[0];
  return { stage: Number(key.slice(1, key.indexOf('_'))), local };
}

const EVIDENCE: Record<Cause, string> = {
  deploy: "errors began right after this morning's deploy; stack traces point into the new release",
  database: '"connection refused" from the primary database; the replica is healthy',
  traffic: 'request rate is 4x normal and every instance is at its CPU limit; no errors before the spike',
};

const IMPACT: Record<Severity, string> = {
  major: 'customers could not complete purchases for 20 minutes',
  minor: 'some requests were slow for a few minutes; no errors reached customers',
};

/** What the on-call engineer sees in a configuration. */
export function situation(kind: StageKind, local: string, f: StageFlags, attempts: number): string {
  const s = f.service;
  switch (`${kind}.${local}`) {
    case 'acknowledge.paged':
      return `PAGE: alerts are firing for ${s}. The pager is ringing.`;
    case 'acknowledge.snoozed':
      return `You snoozed the page for ${s}; it is ringing again.`;
    case 'diagnose.investigating':
      return `${s} is degraded: its error rate is up. You have not read the logs yet.`;
    case 'diagnose.diagnosed':
      return `Logs for ${s}: ${EVIDENCE[f.cause ?? 'deploy']}.`;
    case 'diagnose.mitigationFailed':
      return `That fix did not help ${s}; errors continue. Undo it before trying another.`;
    case 'verify.pending':
      return `The fix for ${s} is in. Run the health checks.`;
    case 'verify.failed':
      return `Health checks for ${s} failed (attempt ${attempts}). Checks can fail while caches warm up.`;
    case 'verify.escalated':
      return `The secondary on-call is looking at ${s} and can confirm the fix.`;
    case 'notify.drafting':
      return `Impact of the ${s} incident: ${IMPACT[f.severity ?? 'minor']}. Send the status update.`;
    case 'notify.rejected':
      return 'The comms lead rejected the update: wrong channel for this impact. Revise it.';
    case 'handover.writing':
      return 'All incidents are handled. Submit the shift handover.';
    default:
      return 'The shift is closed.';
  }
}

/** Instance-independent rules of the runbook, for the cached prompt prefix. */
export const RULES = [
  'You are the on-call engineer working through a runbook, one action per step.',
  'Acknowledge pages promptly. Read the logs (CHECK_LOGS) before acting on an incident.',
  `Fix by cause: a bad deploy → ${FIX_FOR.deploy}; a database failure → ${FIX_FOR.database}; a traffic surge → ${FIX_FOR.traffic}. REVERT a fix that did not help before trying another.`,
  'After a fix, RUN_CHECKS; RETRY checks that fail while caches warm up. ESCALATE only when you must: it takes longer.',
  `Status updates: major customer impact → ${CHANNEL_FOR.major}; minor impact → ${CHANNEL_FOR.minor}.`,
  'End the shift with SUBMIT_HANDOVER. Reply with exactly one of the available action names.',
].join('\n');
