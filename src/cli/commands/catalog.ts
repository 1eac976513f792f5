/** `hotmess envs` and `hotmess agents`: what is registered, with parameters. */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { describeParams, paramsJsonSchema } from '../describe-params.js';
import { REGISTRY } from '../registry.js';

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

export function register(program: Command, cli: Cli): void {
  program
    .command('envs')
    .description('List the registered environments and their parameters.')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const envs = listEnvironments();
      if (flags.json) return cli.json(envs);
      for (const e of envs) {
        cli.out(`${e.name}\n  ${e.description}\n  params:  ${e.params}\n  horizon: ${e.horizon}\n  outcome: ${e.outcome}\n  measure: ${e.measure ?? 'none'}${e.statechart ? '\n  statechart: yes (hotmess scenario graph)' : ''}\n`);
      }
    });
  program
    .command('agents')
    .description('List the registered agent kinds and their parameters.')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const agents = listAgents();
      if (flags.json) return cli.json(agents);
      for (const a of agents) cli.out(`${a.kind}\n  ${a.description}\n  params: ${a.params}\n  sees:   ${a.access === 'privileged' ? 'environment and true state (scripted)' : 'observation text and legal actions only'}\n`);
    });
}
