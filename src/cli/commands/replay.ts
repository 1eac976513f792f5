/**
 * `hotmess replay RUN`: step through a run's rollouts side by side in the
 * terminal. Plain text with --plain, when stdin or stdout is not a terminal,
 * or in CI. The
 * TUI (ink, react) loads lazily, so other commands never pay for it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import type { AnyEnvironment } from '../../core/index.js';
import { resolveEnvironment } from '../../engine/index.js';
import { readManifest } from '../../log/index.js';
import { REGISTRY } from '../registry.js';
import { intParser } from '../flags.js';
import { errorText, hotmessCommand } from '../../core/index.js';

interface ReplayFlags {
  plain?: boolean;
  group?: string;
  rollout?: number;
  failed?: boolean;
  diverging?: boolean;
  indexCache?: boolean;
}


/** Buffered stdout: few large writes (a closed pipe ends quietly: see runAsProcess). */
function stdoutWriter(cli: Cli): { write: (s: string) => void; flush: () => void } {
  let pending = '';
  const flush = () => {
    if (pending.length > 0) cli.out(pending);
    pending = '';
  };
  return {
    write: (s) => {
      pending += s;
      if (pending.length >= 1 << 16) flush();
    },
    flush,
  };
}

/**
 * The registry's environments, plus the run's own module-path environment
 * (recorded in its manifest), so observations are re-derived for it too.
 */
async function environmentsFor(cli: Cli, run: string): Promise<Record<string, AnyEnvironment | undefined>> {
  const environments: Record<string, AnyEnvironment | undefined> = { ...REGISTRY.environments };
  const env = readManifest(run).environment;
  if (env.module !== undefined) {
    try {
      environments[env.name] = await resolveEnvironment(REGISTRY, env.module, process.cwd(), `${run}: environment`);
    } catch (e) {
      cli.warn(`${errorText(e)}; observations are shown only when logged`);
    }
  }
  return environments;
}

/**
 * Spend so far of a model-backed run, read from its cost ledger at each look
 * (read-only): "spend $0.42 (at most $0.47) · 120 requests". Undefined for a
 * run that has no ledger when it is opened.
 */
async function spendReader(run: string): Promise<(() => string | null) | undefined> {
  const { COST_LEDGER, readLedger, summarizeLedger } = await import('../../llm/index.js');
  const file = join(run, COST_LEDGER);
  if (!existsSync(file)) return undefined;
  const usd = (x: unknown) => (typeof x === 'number' ? `$${x.toFixed(2)}` : 'unknown');
  return () => {
    try {
      const total = summarizeLedger(readLedger(file)).total as { costUsd?: unknown; costUsdAtMost?: unknown; requests?: unknown };
      const most = total.costUsdAtMost !== total.costUsd ? ` (at most ${usd(total.costUsdAtMost)})` : '';
      return `spend ${usd(total.costUsd)}${most} · ${String(total.requests)} requests`;
    } catch {
      return null;
    }
  };
}

export function register(program: Command, cli: Cli): void {
  program
    .command('replay')
    .description('Step through the rollouts of a run side by side: where they split, and how (plain text when not a terminal). A run still running is followed: new rollouts appear as they commit, with spend so far for model-backed runs; nothing is written to it')
    .argument('<run>', 'run directory')
    .option('--plain', 'print text instead of the interactive view (automatic when stdout is not a terminal)')
    .option('--group <id>', 'open this group: AGENT:HORIZON:INSTANCE')
    .option('--rollout <index>', 'with --plain --group: the rollout whose steps are listed (default: the first shown)', intParser('--rollout', { min: 0 }))
    .option('--failed', 'only rollouts that failed or errored')
    .option('--diverging', 'only steps where rollouts diverge')
    .option('--no-index-cache', 'do not read or write RUN/.replay-index.json')
    .addHelpText('after', `\nExamples:\n  ${hotmessCommand('replay runs/demo')}\n  ${hotmessCommand('replay runs/demo --plain --group noisy-5:16:0')}`)
    .action(async (run: string, flags: ReplayFlags) => {
      const { ReplayModel, renderPlain, runReplayApp } = await import('../../tui/index.js');
      const environments = await environmentsFor(cli, run);
      const resolveEnvironment = (name: string) => environments[name];
      const model = await ReplayModel.open(run, { resolveEnvironment, cache: flags.indexCache });
      if (model.index.tornLines > 0) cli.warn(`${run}: ${model.index.tornLines} torn last line(s) (an uncommitted write: crashed run?) skipped`);
      const options = { group: flags.group, failedOnly: flags.failed === true, divergentOnly: flags.diverging === true };
      // Interactive only with a terminal both ways (keys in, screen out) and not in CI.
      if (flags.plain || !cli.interactive) {
        const out = stdoutWriter(cli);
        await renderPlain(model, { ...options, rollout: flags.rollout }, out.write);
        out.flush();
        return;
      }
      await runReplayApp(model, { ...options, follow: model.live ? { spend: await spendReader(run) } : undefined });
    });
}
