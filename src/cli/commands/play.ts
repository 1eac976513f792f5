/**
 * `hotmess play ENV`: you are the agent. Choose among the legal actions with
 * the keyboard (or type a numeric action) while seeing the observation text
 * an LLM would see; the session is written as a normal run directory. The
 * TUI loads lazily; bad arguments are named first, then without a terminal
 * the command stops with one line.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { hotmessCommand } from '../../core/index.js';
import { REGISTRY } from '../registry.js';
import { PACKAGE_VERSION } from '../version.js';
import { intParser, jsonObjectFlag } from '../flags.js';

interface PlayFlags {
  horizon?: number;
  seed?: string;
  rollouts?: number;
  params?: string;
  out?: string;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('play')
    .description('Be the agent: choose each action yourself and see what an LLM would see; writes a run directory')
    .argument('<env>', `environment name (see: ${hotmessCommand('envs')})`)
    .option('--horizon <h>', 'horizon (default 8)', intParser('--horizon', { min: 1 }))
    .option('--seed <seed>', 'base seed: picks the instance (default 0)')
    .option('--rollouts <n>', 'play the same instance n times (default 1)', intParser('--rollouts', { min: 1 }))
    .option('--params <json>', 'environment parameters as a JSON object')
    .option('--out <dir>', 'run directory (default: runs/play-<env>-<timestamp>)')
    .addHelpText('after', `\nExample:\n  ${hotmessCommand('play maze --horizon 6 --seed 3')}\n  ${hotmessCommand('replay runs/play-maze-…')}`)
    .action(async (env: string, flags: PlayFlags) => {
      // play() checks the environment, --params and --horizon before it asks for a terminal.
      const params = flags.params === undefined ? undefined : jsonObjectFlag('--params', flags.params);
      const seed = flags.seed === undefined ? undefined : /^\d+$/.test(flags.seed) ? Number(flags.seed) : flags.seed;
      const [{ play }, { humanAgent }] = await Promise.all([import('../../tui/index.js'), import('../../../agents/index.js')]);
      const result = await play({ env, registry: REGISTRY, humanAgent, version: PACKAGE_VERSION, horizon: flags.horizon, seed, rollouts: flags.rollouts, params, out: flags.out, terminal: cli.terminal });
      for (const r of result.rollouts) {
        const success = r.success === null ? '' : `, success ${r.success ? 'yes' : 'no'}`;
        cli.out(`${r.id}: ${r.termination} after ${r.length} steps, return ${r.return ?? '—'}${success}\n`);
      }
      if (result.status === 'interrupted') {
        cli.err(`hotmess: play stopped; the unfinished rollout was not saved (${result.rollouts.length} finished in ${result.dir})\n`);
        cli.exitCode = 130;
        return;
      }
      cli.out(`run written to ${result.dir}\nnext: ${hotmessCommand(`replay ${result.dir}`)} · ${hotmessCommand(`analyze ${result.dir}`)}\n`);
    });
}
