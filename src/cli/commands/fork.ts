/** `hotmess fork RUN --rollout ID --step K --samples M`: replay a logged prefix, then sample M continuations. */
import type { Command } from 'commander';
import { Cli, processIO } from '../io.js';
import { basename, join } from 'node:path';
import { EXIT_CODES, HotmessError } from '../../core/index.js';
import { forkRun, forkScenario, readForkSource, type ForkSummary } from '../../engine/index.js';
import { createProgress, stamp, withInterrupt } from '../output.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';
import { afterRun } from '../after-run.js';
import { prepareLlmRun, type LlmTotals } from '../../workflows/index.js';
import { formatTotals, llmOptions } from '../llm-flags.js';
import { intFlag, optionalIntFlag } from '../flags.js';

export interface ForkFlags {
  rollout: string;
  step: string;
  samples: string;
  out?: string;
  concurrency?: string;
  maxCost?: string;
  analyze?: boolean;
  json?: boolean;
  injectRate?: string;
}



/** `cli` defaults to the real process (library callers and tests that call this directly). */
export async function forkCommand(run: string, flags: ForkFlags, cli: Cli = new Cli(processIO())): Promise<{ summary: ForkSummary; llm: LlmTotals | null }> {
  const step = intFlag('--step', flags.step, { min: 0 });
  const samples = intFlag('--samples', flags.samples, { min: 1 });
  const concurrency = optionalIntFlag('--concurrency', flags.concurrency, { min: 1 });
  const out = flags.out ?? join('runs', `${basename(run.replace(/\/+$/, ''))}-fork-${stamp(new Date())}`);
  // Read and check the source first: a bad rollout id or step fails before anything else.
  const source = await readForkSource(run, flags.rollout, step, REGISTRY);
  const injectRate = flags.injectRate === undefined ? undefined : Number(flags.injectRate);
  if (injectRate !== undefined && !(injectRate >= 0 && injectRate <= 1)) throw new HotmessError('usage', `--inject-rate: expected a probability in [0, 1], got "${flags.injectRate}"`);
  // Model agents: preflight (API key, model file), response cache under OUT/cache, --max-cost.
  // Injected prefixes are not what the model replied: it then sees the injected actions as its own history, not the source's replies.
  const llm = prepareLlmRun(forkScenario(source, samples), out, llmOptions({ maxCost: flags.maxCost }, injectRate === undefined ? { forkOf: { run, source } } : {}));
  const progress = flags.json ? null : createProgress(cli, `fork ${flags.rollout}@${step}`, samples);
  return withInterrupt(cli, 'finished continuations', async (signal) => {
    const summary = await forkRun({
      run,
      rollout: flags.rollout,
      step,
      samples,
      out,
      registry: REGISTRY,
      version: PACKAGE_VERSION,
      concurrency,
      signal,
      onProgress: progress ? (done, total) => progress.update(done, total) : undefined,
      source,
      injectRate,
      services: llm.services,
      shouldStop: llm.shouldStop,
    });
    progress?.finish();
    return { summary, llm: llm.finish(summary) };
  });
}

export function register(program: Command, cli: Cli): void {
  program
    .command('fork')
    .description("Replay a rollout's first K logged steps (no agent calls), then sample M fresh continuations into a new run directory.")
    .argument('<run>', 'source run directory')
    .requiredOption('--rollout <id>', 'rollout id to fork (agent:horizon:instance:index)')
    .requiredOption('--step <k>', 'steps replayed from the log before the agent takes over (0..length)')
    .requiredOption('--samples <m>', 'continuations to sample')
    .option('--out <dir>', 'run directory (default: runs/<run>-fork-<timestamp>)')
    .option('--concurrency <n>', 'continuations in flight at once (overrides the scenario)')
    .option('--max-cost <usd>', 'stop starting continuations once model calls have cost this much')
    .option('--inject-rate <r>', 'before continuing, replace each of the K replayed actions by a wrong legal one with probability r (seeded per continuation; the state follows): the self-conditioning experiment')
    .option('--analyze', 'analyse the fork run when it finishes')
    .option('--json', 'print the summary as JSON')
    .action(async (run: string, flags: ForkFlags) => {
      const { summary, llm } = await forkCommand(run, flags, cli);
      const doc = { ...summary, ...(llm ? { llm } : {}) };
      if (!flags.json) {
        const t = summary.terminations;
        cli.out(
          `fork written to ${summary.dir} (${summary.status}): ${summary.ran} continuations of ${summary.fork.sourceRollout} after step ${summary.fork.step}; ` +
            `${t.terminated} terminated, ${t.truncated} truncated, ${t.error} error\n`,
        );
        if (llm) cli.out(formatTotals(llm));
      }
      if (summary.status === 'interrupted') {
        if (flags.json) cli.json(doc);
        cli.err(`hotmess: fork stopped (${summary.stoppedBecause})\n`);
        cli.exitCode = llm?.halted ? EXIT_CODES[llm.halted.code] : 130;
        return;
      }
      const after = flags.analyze ? await afterRun(cli, summary.dir, { json: flags.json === true }) : null;
      if (flags.json) cli.json(after ? { ...doc, ...after } : doc);
    });
}
