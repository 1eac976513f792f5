/** `hotmess envs` and `hotmess agents`: what is registered, with parameters. */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { formatFailure, HotmessError, hotmessCommand } from '../../core/index.js';
import { checkEnvironmentByName } from '../check-env.js';
import { describeParams, paramsBlock, paramsJsonSchema } from '../describe-params.js';
import { REGISTRY } from '../registry.js';
import { intValue, jsonObjectFlag, POSITIVE } from '../flags.js';

export function listEnvironments() {
  return Object.entries(REGISTRY.environments).map(([name, env]) => ({
    name,
    description: env.description,
    params: describeParams(env.params),
    paramsSchema: paramsJsonSchema(env.params),
    horizon: env.horizonMeaning,
    outcome: `${env.outcomeKind}: ${env.outcomeMeaning}`,
    measure: env.measure ? (env.measureKind ?? 'squared') : null,
    statechart: typeof env.chart === 'function',
  }));
}

export function listAgents() {
  return Object.entries(REGISTRY.agents).map(([kind, def]) => ({
    kind,
    description: def.description,
    params: describeParams(def.params),
    paramsSchema: paramsJsonSchema(def.params),
    access: def.access,
  }));
}

/** "1,3,7" → [1, 3, 7], or a usage error naming the flag. */
function parseList<T>(flag: string, raw: string, parse: (s: string) => T | null, what: string): T[] {
  const out = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = parse(s);
      if (v === null) throw new HotmessError('usage', `${flag}: "${s}" is not ${what}`);
      return v;
    });
  if (out.length === 0) throw new HotmessError('usage', `${flag}: expected a comma-separated list of ${what}s`);
  return out;
}

interface CheckFlags {
  params?: string;
  horizons?: string;
  seeds?: string;
  json?: boolean;
}

async function envsCheck(cli: Cli, name: string, flags: CheckFlags): Promise<void> {
  const params = flags.params === undefined ? {} : jsonObjectFlag('--params', flags.params);
  const horizons = flags.horizons === undefined ? undefined : parseList('--horizons', flags.horizons, (s) => intValue(s, POSITIVE), 'a positive integer');
  const seeds = flags.seeds === undefined ? undefined : parseList('--seeds', flags.seeds, (s) => s, 'a seed');
  const r = await checkEnvironmentByName(name, { params, horizons, seeds });
  if (flags.json) cli.json(r);
  else {
    const head = `${r.environment}: horizons ${r.horizons.join(', ')}; seeds ${r.seeds.join(', ')}`;
    cli.out(r.ok ? `${head}: passes the environment contract\n` : `${head}\n${r.failures.map((f) => '  ' + formatFailure(f)).join('\n')}\n`);
  }
  if (!r.ok) throw new HotmessError('input', `environment ${r.environment} fails its contract: ${r.failures.length} problem(s)${flags.json ? '' : ' (listed above)'}`);
}

export function register(program: Command, cli: Cli): void {
  const envs = program
    .command('envs')
    .description('List the registered environments and their parameters.')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const envs = listEnvironments();
      if (flags.json) return cli.json(envs);
      for (const e of envs) {
        cli.out(`${e.name}\n  ${e.description}\n  params:${paramsBlock(REGISTRY.environments[e.name].params, '    ')}\n  horizon: ${e.horizon}\n  outcome: ${e.outcome}\n  measure: ${e.measure ?? 'none'}${e.statechart ? `\n  statechart: yes (${hotmessCommand('scenario graph FILE')})` : ''}\n`);
      }
    });
  envs
    .command('check')
    .description(
      'Run the environment contract checker (checkEnvironment) on a registered environment or your own module: seed determinism of every logged field, a seeded random walk, horizon truncation, the oracle reaching the goal, and no success for a wrong trajectory. Exits 3 when the contract fails.',
    )
    .argument('<env>', `a registered name (${hotmessCommand('envs')}) or a module path such as ./my-env.ts`)
    .option('--params <json>', 'environment params as JSON (default: {})')
    .option('--horizons <list>', 'comma-separated horizons (default: the first three of 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32 the environment accepts)')
    .option('--seeds <list>', 'comma-separated environment seeds (default: check-0,check-1)')
    .option('--json', 'print {environment, params, horizons, seeds, ok, failures} as JSON (exit code as without it)')
    // The parent `envs` command takes `--json` wherever it appears on the line, so read it from there too.
    .action((name: string, flags: CheckFlags, cmd: Command) => envsCheck(cli, name, { ...flags, json: flags.json || cmd.parent?.opts().json === true }));
  program
    .command('agents')
    .description('List the registered agent kinds and their parameters.')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const agents = listAgents();
      if (flags.json) return cli.json(agents);
      for (const a of agents) cli.out(`${a.kind}\n  ${a.description}\n  params:${paramsBlock(REGISTRY.agents[a.kind].params, '    ')}\n  sees:   ${a.access === 'privileged' ? 'environment and true state (scripted)' : 'observation text and legal actions only'}\n`);
    });
}
