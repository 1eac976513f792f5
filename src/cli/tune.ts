/**
 * `hotmess scenario tune FILE --agent NAME`: parse the flags, run the
 * horizon search (analysis/tune.ts) under the rollout and cost budgets,
 * print the bracket and the suggested horizons, and with --write put them
 * into the scenario file (comments and layout kept).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { HotmessError } from '../core/index.js';
import { fmt } from '../analysis/index.js';
import { dryRun, prepareLlmRun, tuneHorizon, type TuneResult } from '../workflows/index.js';
import { loadScenario, type ResolvedScenario } from '../engine/index.js';
import type { Cli } from './io.js';
import { formatEstimate, formatTotals, llmOptions } from './llm-flags.js';
import { stamp } from './output.js';
import { REGISTRY } from './registry.js';
import { PACKAGE_VERSION } from './version.js';
import { intFlag, POSITIVE } from './flags.js';

export interface TuneFlags {
  agent: string;
  target: string;
  maxRollouts: string;
  perProbe: string;
  batch: string;
  minHorizon: string;
  maxHorizon: string;
  maxCost?: string;
  dryRun?: boolean;
  out?: string;
  write?: boolean;
  json?: boolean;
}

const positiveInt = (flag: string, v: string): number => intFlag(flag, v, POSITIVE);

function onlyAgent(s: ResolvedScenario, name: string, spec?: Partial<ResolvedScenario['spec']>): ResolvedScenario {
  const agent = s.agents.find((a) => a.name === name);
  if (!agent) throw new HotmessError('usage', `--agent: no agent "${name}" in scenario ${s.spec.name} (agents: ${s.agents.map((a) => a.name).join(', ')})`);
  return { ...s, agents: [agent], spec: { ...s.spec, agents: s.spec.agents.filter((a) => a.name === name), ...spec } };
}

export async function tuneCommand(file: string, flags: TuneFlags, cli: Cli): Promise<void> {
  const target = Number(flags.target);
  if (!(target > 0 && target < 1)) throw new HotmessError('usage', `--target: expected a success rate strictly between 0 and 1, got "${flags.target}"`);
  const maxRollouts = positiveInt('--max-rollouts', flags.maxRollouts);
  const opts = {
    target,
    maxRollouts,
    perProbe: positiveInt('--per-probe', flags.perProbe),
    batch: positiveInt('--batch', flags.batch),
    minHorizon: positiveInt('--min-horizon', flags.minHorizon),
    maxHorizon: positiveInt('--max-horizon', flags.maxHorizon),
  };
  const s = await loadScenario(file, REGISTRY);
  const one = onlyAgent(s, flags.agent);
  if (flags.dryRun) {
    // The worst case: every rollout of the budget at the largest horizon.
    const worst = onlyAgent(s, flags.agent, { horizons: [opts.maxHorizon], instances: maxRollouts, rollouts: 1 });
    const estimate = dryRun(worst);
    if (flags.json) cli.json(estimate);
    else cli.out(`worst case for the search (${maxRollouts} rollouts at H = ${opts.maxHorizon}):\n` + formatEstimate(`${s.spec.name}-tune`, estimate));
    return;
  }
  const out = flags.out ?? join('runs', `${s.spec.name}-tune-${stamp(new Date())}`);
  const llm = prepareLlmRun(one, out, llmOptions({ maxCost: flags.maxCost }), (line) => cli.err(line + '\n'));
  const result = await tuneHorizon({
    scenario: one,
    agent: flags.agent,
    out,
    registry: REGISTRY,
    version: PACKAGE_VERSION,
    ...opts,
    services: llm.services,
    shouldStop: llm.shouldStop,
    onProbe: flags.json ? undefined : (h, n) => cli.err(`probe H=${h}: +${n} rollouts\n`),
  });
  const totals = llm.finish({ dir: out, status: 'finished', total: result.rollouts, skipped: 0, ran: result.rollouts, terminations: { terminated: 0, truncated: 0, error: 0 }, stoppedBecause: result.stopped });
  if (flags.write && result.suggested) writeHorizons(file, result.suggested);
  if (flags.json) cli.json({ ...result, written: flags.write === true && result.suggested !== null });
  else {
    cli.out(renderTune(result, target) + '\n');
    if (totals) cli.out(formatTotals(totals) + '\n');
    if (flags.write) cli.out(result.suggested ? `${file}: horizons set to [${result.suggested.join(', ')}]\n` : `${file}: not written (no bracket)\n`);
  }
}

export function renderTune(r: TuneResult, target: number): string {
  const end = (p: TuneResult['lo']) => (p ? `H=${p.horizon}: ${p.successes}/${p.n} = ${fmt(p.rate)} [${fmt(p.interval[0])}, ${fmt(p.interval[1])}]` : '—');
  const lines = [`${r.agent}: success rate against the target ${target}, ${r.rollouts} rollouts in ${r.dir}`];
  for (const p of r.probes) lines.push(`  H=${String(p.horizon).padStart(5)}  ${String(p.successes).padStart(3)}/${String(p.n).padEnd(3)}  ${fmt(p.rate).padStart(6)}  95% [${fmt(p.interval[0])}, ${fmt(p.interval[1])}]  ${p.verdict}`);
  if (r.lo && r.hi) {
    lines.push(`bracket: ${end(r.lo)} above the target; ${end(r.hi)} below`);
    lines.push(`H50 ≈ ${fmt(r.h50)} (log-linear between the bracket's ends)`);
    if (r.lo.verdict === 'undecided' || r.hi.verdict === 'undecided') lines.push(`H50 is in [${r.decided.lo ?? 1}, ${r.decided.hi ?? '∞'}]: the nearest horizons whose 99% intervals exclude the target`);
  } else if (r.lo) lines.push(`no crossing up to H=${r.lo.horizon}: ${end(r.lo)} is still above the target; raise --max-horizon`);
  else if (r.hi) lines.push(`below the target already at the smallest horizon tried: ${end(r.hi)}`);
  if (r.stopped) lines.push(`stopped: ${r.stopped}`);
  if (r.suggested) lines.push(`suggested horizons: [${r.suggested.join(', ')}]`);
  return lines.join('\n');
}

/** Replace the scenario's `horizons:` value, keeping its comments and layout. */
function writeHorizons(file: string, horizons: number[]): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const seq = doc.createNode(horizons);
  (seq as { flow?: boolean }).flow = true;
  doc.set('horizons', seq);
  writeFileSync(file, doc.toString());
}
