/** Scenario design facts computed by running the oracle on each instance. */
import { instanceRng, type ResolvedScenario } from '../engine/index.js';

export interface ScenarioDescription {
  name: string;
  environment: string;
  outcome: string;
  measure: string | null;
  horizons: { horizon: number; oracleLength: number; meanLegalActions: number | null; oracleSuccess: number }[];
}

export function describeScenario(s: ResolvedScenario): ScenarioDescription {
  const env = s.env;
  const horizons = s.spec.horizons.map((horizon) => {
    let lengths = 0;
    let legal = 0;
    let legalSteps = 0;
    let continuous = false;
    let successes = 0;
    for (let instance = 0; instance < s.spec.instances; instance++) {
      let state = env.reset(s.envParams, horizon, instanceRng(s.spec.seed, horizon, instance));
      let t = 0;
      while (t < horizon) {
        const space = env.actions(state);
        if (space.kind === 'discrete') {
          legal += space.actions.length;
          legalSteps++;
        } else continuous = true;
        const r = env.step(state, env.oracle(state));
        t++;
        if (r.kind === 'illegal') continue;
        state = r.state;
        if (r.terminated) break;
      }
      lengths += t;
      if (env.outcome(state).success) successes++;
    }
    const n = s.spec.instances;
    return { horizon, oracleLength: lengths / n, meanLegalActions: continuous || legalSteps === 0 ? null : legal / legalSteps, oracleSuccess: successes / n };
  });
  return {
    name: s.spec.name,
    environment: env.name,
    outcome: `${env.outcomeKind}: ${env.outcomeMeaning}`,
    measure: env.measure ? `${env.measureKind ?? 'squared'} per step` : null,
    horizons,
  };
}
