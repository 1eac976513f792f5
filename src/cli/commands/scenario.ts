/** `hotmess scenario validate|describe|new|graph`: designing long-horizon scenarios. */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { stringify as toYaml } from 'yaml';
import { didYouMean, horizonProblem, HotmessError } from '../../core/index.js';
import { loadScenario } from '../../engine/index.js';
import { defaultParams, paramLines } from '../describe-params.js';
import { REGISTRY } from '../registry.js';
import { describeScenario } from '../describe-scenario.js';
import { moduleEnvironmentProblems } from '../check-env.js';
import { tuneCommand, type TuneFlags } from '../tune.js';

/** What each environment parameter means, as YAML comments above the defaults. */
function paramsComment(schema: Parameters<typeof paramLines>[0]): string {
  const lines = paramLines(schema);
  if (lines === null || lines.length === 0) return '# Environment parameters: none.';
  return ['# Environment parameters (the values below are the defaults):', ...lines.map((l) => `#   ${l}`)].join('\n');
}

export function scenarioTemplate(envName: string): string {
  const env = REGISTRY.environments[envName];
  if (!env) throw new HotmessError('usage', `unknown environment "${envName}";${didYouMean(envName, Object.keys(REGISTRY.environments))}`);
  const params = defaultParams(env.params);
  const paramsYaml = Object.keys(params).length ? toYaml({ params }).trimEnd() : 'params: {}';
  return `# Scenario for ${envName}: ${env.description}
# Validate with: npm run -s hotmess -- scenario validate FILE
name: ${envName}-sweep
# A registered environment (hotmess envs) or a path to your own module, relative to this file.
environment: ${envName}
${paramsComment(env.params)}
${paramsYaml}
# Horizons to sweep (${env.horizonMeaning}).
horizons: [4, 8, 16]
# Environment instances per horizon; every rollout of a group shares one instance.
instances: 5
# Rollouts per group (agent × horizon × instance). The spec warns below 30 for stable estimates.
rollouts: 30
# Base seed: every rollout's env and agent seeds derive from it and its coordinates.
seed: 1
# Rollouts in flight at once (matters for model-backed agents).
concurrency: 1
agents:
  - { name: oracle, kind: oracle }
  - { name: noisy-10, kind: noisy, params: { epsilon: 0.1 } }
  - { name: biased, kind: biased, params: { rate: 0.2 } }
`;
}

export function register(program: Command, cli: Cli): void {
  const scenario = program.command('scenario').description('Design scenarios: validate, describe, template, statechart.');
  scenario
    .command('validate')
    .description('Check a scenario file, and an environment named by module path against the environment contract (checkEnvironment on its two smallest horizons); prints one line per problem and exits 2 when invalid.')
    .argument('<file>', 'scenario YAML file')
    .option('--json', 'print {file, valid, problems, rollouts} as JSON (exit code as without it)')
    .action(async (file: string, flags: { json?: boolean }) => {
      let s;
      try {
        s = await loadScenario(file, REGISTRY);
      } catch (e) {
        if (!flags.json || !(e instanceof HotmessError)) throw e;
        cli.json({ file, valid: false, problems: e.message.split('\n'), rollouts: null });
        cli.exitCode = e.exitCode;
        return;
      }
      const n = s.agents.length * s.spec.horizons.length * s.spec.instances * s.spec.rollouts;
      // An environment named by path is the author's own code: hold it to the contract too.
      const contract = moduleEnvironmentProblems(s, file);
      if (contract.length > 0) {
        if (!flags.json) throw new HotmessError('scenario', contract.join('\n'));
        cli.json({ file, valid: false, problems: contract, rollouts: null });
        cli.exitCode = new HotmessError('scenario', '').exitCode;
        return;
      }
      if (flags.json) return cli.json({ file, valid: true, problems: [], rollouts: n });
      cli.out(`${file}: valid (${s.env.name}; ${s.agents.length} agents × ${s.spec.horizons.length} horizons × ${s.spec.instances} instances × ${s.spec.rollouts} rollouts = ${n} rollouts)\n`);
    });
  scenario
    .command('tune')
    .description(
      "Find the horizon where an agent's success rate crosses --target (default 0.5): bracket by doubling, then bisect on log H, adding rollouts at a probe until its Wilson interval excludes the target. Prints the bracket with its uncertainty and a suggested `horizons:` list around H50 (--write puts it in FILE). The search's rollouts are a normal run directory.",
    )
    .argument('<file>', 'scenario YAML file')
    .requiredOption('--agent <name>', 'the agent (by its scenario name) whose success rate is searched')
    .option('--target <rate>', 'the success rate to find, strictly between 0 and 1', '0.5')
    .option('--max-rollouts <n>', 'the most rollouts the search may run', '200')
    .option('--per-probe <n>', 'the most rollouts at one horizon', '48')
    .option('--batch <n>', 'rollouts added at a probe per round of the sequential test', '8')
    .option('--min-horizon <h>', 'the smallest horizon to try', '1')
    .option('--max-horizon <h>', 'the largest horizon to try', '4096')
    .option('--max-cost <usd>', 'model-backed agents: stop the search when this much has been spent')
    .option('--dry-run', 'model-backed agents: estimate the worst case (every rollout at --max-horizon) and exit; makes no calls, writes nothing')
    .option('--out <dir>', 'the run directory for the search (default: runs/<name>-tune-<time>)')
    .option('--write', "write the suggested horizons into FILE's `horizons:`")
    .option('--json', 'print the search as JSON')
    .action((file: string, flags: TuneFlags) => tuneCommand(file, flags, cli));
  scenario
    .command('describe')
    .description('Per horizon: the oracle trajectory length, the mean number of legal actions, and what the outcome measures.')
    .argument('<file>', 'scenario YAML file')
    .option('--json', 'print as JSON')
    .action(async (file: string, flags: { json?: boolean }) => {
      const s = await loadScenario(file, REGISTRY);
      const d = describeScenario(s);
      if (flags.json) return cli.json(d);
      cli.out(`${d.name}: ${d.environment}\noutcome: ${d.outcome}\nmeasure: ${d.measure ?? 'none'}\n`);
      cli.out('horizon  oracle length  mean legal actions  oracle success\n');
      for (const h of d.horizons)
        cli.out(`${String(h.horizon).padStart(7)}  ${h.oracleLength.toFixed(1).padStart(13)}  ${(h.meanLegalActions === null ? 'continuous' : h.meanLegalActions.toFixed(2)).padStart(18)}  ${(h.oracleSuccess * 100).toFixed(0).padStart(13)}%\n`);
    });
  scenario
    .command('new')
    .description('Print a commented scenario template for an environment.')
    .argument('<env>', 'environment name (see: hotmess envs)')
    .action((envName: string) => {
      cli.out(scenarioTemplate(envName));
    });
  scenario
    .command('graph')
    .description("Print the environment's statechart as Mermaid (xstate-authored environments such as workflow).")
    .argument('<file>', 'scenario YAML file')
    .option('--horizon <h>', 'horizon to draw (default: the first)')
    .action(async (file: string, flags: { horizon?: string }) => {
      const s = await loadScenario(file, REGISTRY);
      const env = s.env;
      if (!env.chart) throw new HotmessError('usage', `${file}: environment ${env.name} is not authored as a statechart; graph works for xstate-authored environments such as workflow`);
      const h = flags.horizon === undefined ? s.spec.horizons[0] : Number(flags.horizon);
      const bad = horizonProblem(env, h, s.envParams);
      if (bad) throw new HotmessError('usage', `--horizon ${flags.horizon ?? h}: ${bad}`);
      cli.out(env.chart(s.envParams, h) + '\n');
    });
}
