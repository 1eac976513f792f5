/**
 * What a run adds for model-backed agents (`hotmess run`, `fork`, `scenario
 * tune`): the preflight check (API key) before any rollout, the run's LLM
 * runtime (response cache under RUN/cache, request limit, cost meter), the
 * `--max-cost` budget, replays of a logged run from its cache, a fork's
 * replayed replies, and `--dry-run` estimates. Scenarios without model
 * agents pass through untouched. Takes typed options: the CLI parses its
 * flags (cli/llm-flags.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HotmessError, type AgentServices } from '../core/index.js';
import { instanceRng, resolveRunScenario, seedsOfRecord, type PlannedRollout, type ForkSource, type Registry, type ResolvedScenario, type RunSummary } from '../engine/index.js';
import { FILES, forEachStepOf, readManifest, type Manifest } from '../log/index.js';
import { batchPrice, createLlmRuntime, estimateRun, hasModelAgents, isModelAgent, modelAgentOf, preflightModelAgents, type LlmRuntime, type PrefixSource, type RunEstimate, type RunHalt } from '../llm/index.js';

export interface LlmOptions {
  /** Stop starting rollouts once this many US dollars are spent. */
  readonly maxCost?: number;
  /** At most this many paid requests. */
  readonly maxRequests?: number;
  /** A logged run whose response cache answers every call (no API calls). */
  readonly replay?: string;
  /** Fork: the source run and rollout, so continuations see the replayed steps' real replies. */
  readonly forkOf?: { readonly run: string; readonly source: ForkSource };
  /** `anthropic` agents through Message Batches in lockstep. */
  readonly batch?: boolean;
  /** First batch poll after this many ms (then 1.5 times longer each time, up to 2 minutes). */
  readonly batchPollMs?: number;
}

export interface LlmRun {
  readonly services: AgentServices | undefined;
  readonly shouldStop: (() => string | null) | undefined;
  readonly manifestExtra: Partial<Manifest> | undefined;
  /** `--batch`: every rollout in flight at once (overrides the concurrency). */
  readonly concurrency?: number;
  /** Before any rollout starts: re-attach to the run's batches and count the rollouts lockstep waits for. */
  readonly onStart?: (todo: readonly PlannedRollout[]) => Promise<void>;
  /** A reason the run stopped while its rollouts were in flight (a batch budget). */
  readonly stoppedBy?: () => string | null;
  /** Record the spend and fail a replay that missed; returns the totals to print. */
  finish(summary: RunSummary): LlmTotals | null;
}

export interface LlmTotals {
  readonly paidCalls: number;
  readonly cacheHits: number;
  /** USD this invocation spent; null when any paid call was to an unpriced model (unknown, not zero). */
  readonly spentUsd: number | null;
  readonly unpricedCalls: number;
  /** Requests whose reply never arrived (dropped, malformed, timed out): they may have been billed. */
  readonly lostReplies: number;
  /** The most this invocation can have spent: `spentUsd` plus each lost reply's bound; null when unknown. */
  readonly spentAtMostUsd: number | null;
  readonly replayedFrom: string | null;
  /** The fault that stopped the run because every further call would fail (bad key, unreachable server). */
  readonly halted: RunHalt | null;
  /** Fork: replayed steps, and how many of them the model sees as the source's real replies. */
  readonly forkPrefix?: { readonly steps: number; readonly realReplies: number };
}

/** The scenario a logged run was made from (for `--replay`). */
export async function loadRunScenario(run: string, registry: Registry): Promise<ResolvedScenario> {
  const manifest = readManifest(run);
  if (!manifest.scenario) throw new HotmessError('log', `${run}/manifest.json: no "scenario" recorded; only runs made by \`hotmess run\` can be replayed`);
  return resolveRunScenario(run, registry, manifest);
}

/** The agents `run --batch` sends through Message Batches, by name. */
const batchAgents = (s: ResolvedScenario) => s.agents.filter((a) => modelAgentOf(a)?.def.llm.batchTarget !== undefined);

/** Prepare a run's model agents; throws before any rollout if one cannot run. `say` takes progress lines (batches). */
export function prepareLlmRun(s: ResolvedScenario, out: string, flags: LlmOptions, say: (line: string) => void = (l) => process.stderr.write(l + '\n')): LlmRun {
  const { maxCost, maxRequests, batchPollMs: pollMs } = flags;
  if (flags.batch && flags.replay) throw new HotmessError('usage', '--batch makes calls and --replay makes none; a replay of a batched run is priced at the batch rate by itself');
  if (flags.batch && batchAgents(s).length === 0) throw new HotmessError('usage', `--batch: scenario "${s.spec.name}" has no agent that runs through Message Batches (kind anthropic)`);
  if (!hasModelAgents(s.agents)) {
    if (flags.replay) throw new HotmessError('usage', `--replay: scenario "${s.spec.name}" has no model-backed agents; re-run it instead (scripted runs are reproducible from the seed)`);
    return { services: undefined, shouldStop: undefined, manifestExtra: undefined, finish: () => null };
  }
  if (flags.replay) {
    const seeded = s.agents.find((a) => {
      const m = modelAgentOf(a);
      return m !== null && !m.def.llm.replayable;
    });
    if (seeded) throw new HotmessError('usage', `--replay: agent "${seeded.name}" (${seeded.kind}) does not use the response cache; re-run the scenario instead (its sampling is seeded)`);
  } else preflightModelAgents(s.agents);
  if (maxCost !== undefined) {
    const unpriced = estimateRun(estimateInput(s)).rows.find((r) => r.costUsd === null);
    if (unpriced) throw new HotmessError('usage', `--max-cost: model "${unpriced.model}" of agent "${unpriced.agent}" has no price; give the agent a \`price\` param (USD per million tokens)`);
  }
  const prefixFrom = flags.forkOf ? forkPrefixSource(flags.forkOf.run, flags.forkOf.source) : null;
  // A lost reply counts at its most: the budget is never exceeded by a bill the run could not read.
  const budgetReason = () => {
    if (maxCost === undefined || runtime.meter.budgetUsd < maxCost) return null;
    const lost = runtime.meter.lost;
    return lost === 0 ? `cost budget of $${maxCost} reached` : `cost budget of $${maxCost} reached (counting ${lost} lost repl${lost === 1 ? 'y' : 'ies'} at the most each can have cost)`;
  };
  const runtime: LlmRuntime = createLlmRuntime({
    cacheDir: join(out, FILES.cache),
    runDir: out,
    replayFrom: flags.replay ? join(flags.replay, FILES.cache) : null,
    maxRequests: maxRequests ?? Infinity,
    prefixFrom,
    batch: flags.batch
      ? {
          runDir: out,
          pollMs,
          beforeSubmit: budgetReason,
          onStatus: (b, n) => {
            const c = b.counts;
            say(`batch ${b.id} (${n} request${n === 1 ? '' : 's'}): ${b.ended ? 'ended' : 'in progress'}; processing ${c.processing}, succeeded ${c.succeeded}, errored ${c.errored}, expired ${c.expired}, canceled ${c.canceled}`);
          },
        }
      : null,
    batchPricing: flags.replay ? readManifest(flags.replay).batch === true : false,
  });
  const batcher = runtime.batcher;
  const batchNames = new Set(batchAgents(s).map((a) => a.name));
  const onStart = batcher
    ? async (todo: readonly PlannedRollout[]) => {
        const byName = new Map(s.agents.map((a) => [a.name, a]));
        const r = await batcher.reattach(runtime.cache, runtime.meter, (name) => {
          const a = byName.get(name);
          const m = a ? modelAgentOf(a) : null;
          const t = m?.def.llm.batchTarget?.(m.params, process.env);
          return t ? { config: t.config, price: t.price ? batchPrice(t.price) : null } : null;
        });
        if (r.batches > 0) say(`re-attached to ${r.batches} batch${r.batches === 1 ? '' : 'es'} of an earlier invocation: ${r.recovered} repl${r.recovered === 1 ? 'y' : 'ies'} recovered into the cache`);
        batcher.expect(todo.filter((p) => batchNames.has(p.agent.name)).length);
      }
    : undefined;
  const shouldStop = () => {
    if (runtime.halted) return runtime.halted.reason;
    if (runtime.misses.length > 0) return `replay cache miss (${runtime.misses[0]})`;
    // No spend figure here: rollouts in flight keep spending, and the final figure is printed with the totals.
    return budgetReason();
  };
  const batched = runtime.batchPricing ? { batch: true } : {};
  return {
    services: runtime.services(),
    shouldStop,
    manifestExtra: flags.replay ? { source: `hotmess run --replay ${flags.replay}`, ...batched } : flags.batch ? batched : undefined,
    concurrency: batcher ? Number.MAX_SAFE_INTEGER : undefined,
    onStart,
    stoppedBy: () => batcher?.stopped ?? null,
    finish() {
      runtime.writeCost();
      if (runtime.misses.length > 0) {
        throw new HotmessError('log', `replay of ${flags.replay} failed: ${runtime.misses.length} request(s) not in its cache (first: ${runtime.misses[0]}); no API calls were made`);
      }
      const { meter } = runtime;
      const totals: LlmTotals = { paidCalls: meter.paid.calls, cacheHits: meter.cacheHits, spentUsd: meter.totalUsd, unpricedCalls: meter.paid.unpriced, lostReplies: meter.lost, spentAtMostUsd: meter.atMostUsd, replayedFrom: flags.replay ?? null, halted: runtime.halted };
      return prefixFrom ? { ...totals, forkPrefix: { steps: prefixFrom.steps, realReplies: runtime.prefixReplies().size } } : totals;
    },
  };
}

/**
 * Where a fork's replayed replies are: the request id each of the source
 * rollout's first K steps logged, and its cache file. Only replies the
 * source cache still holds are used (see LlmRuntime.prefixReplies).
 */
function forkPrefixSource(run: string, src: ForkSource): PrefixSource | null {
  if (!isModelAgent(src.agent.def) || !src.agent.def.llm.replayable) return null;
  const k = src.prefix.length;
  const r = src.record;
  const agentSeed = seedsOfRecord(src.scenario.spec.seed, r).agent;
  const requestIds = new Map<number, string>();
  const file = join(run, FILES.steps);
  if (k > 0 && existsSync(file)) {
    forEachStepOf(file, r.rollout, (step) => {
      const requestId = (step.info as { requestId?: unknown } | undefined)?.requestId;
      if (typeof step.t === 'number' && step.t <= k && typeof requestId === 'string') requestIds.set(step.t, requestId);
    });
  }
  return { cacheDir: join(run, FILES.cache), agentSeed, steps: k, requestIds };
}

const estimateInput = (s: ResolvedScenario) => ({
  env: s.env,
  envParams: s.envParams,
  instance0: (h: number) => instanceRng(s.spec.seed, h, 0),
  agents: s.agents,
  horizons: s.spec.horizons,
  instances: s.spec.instances,
  rollouts: s.spec.rollouts,
});

/** `--dry-run`: the estimate, no directory created, no call made. */
export function dryRun(s: ResolvedScenario, batch = false): RunEstimate {
  if (batch && batchAgents(s).length === 0) throw new HotmessError('usage', `--batch: scenario "${s.spec.name}" has no agent that runs through Message Batches (kind anthropic)`);
  return estimateRun(estimateInput(s), batch);
}
