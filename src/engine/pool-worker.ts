/**
 * The worker side of pool.ts: a child process that resolves the scenario it
 * is sent and runs rollouts one message at a time. It writes nothing: every
 * finished rollout goes back to the main process, the run's single writer.
 */
import { HotmessError } from '../core/index.js';
import { executeRollout } from './execute.js';
import { InstanceCache } from './instances.js';
import { TextSink } from './place.js';
import { plannedRollout } from './plan.js';
import type { FromWorker, ToWorker } from './pool.js';
import type { Registry } from './registry.js';
import { parseScenario, resolveScenario, type ResolvedScenario } from './scenario.js';

export function serveRollouts(registry: Registry): void {
  if (!process.send) throw new HotmessError('usage', 'the rollout worker runs only as a child of `hotmess run --workers N`');
  // Ctrl-C reaches the whole process group: the main process decides when workers stop.
  process.on('SIGINT', () => undefined);
  // The main process is gone (finished, or killed): nothing to send results to.
  process.on('disconnect', () => process.exit(0));
  // A result for a main process that stopped listening (interrupted, closing) is dropped, not an error.
  const send = (m: FromWorker) => {
    if (process.connected) process.send!(m, undefined, {}, () => undefined);
  };
  let scenario: Promise<ResolvedScenario> | null = null;
  let instances: InstanceCache | null = null;
  process.on('message', (m: ToWorker) => {
    if (m.type === 'init') {
      scenario = resolveScenario(parseScenario(m.spec), registry, m.file);
      scenario.then((s) => (instances = new InstanceCache(s.env, s.envParams)), () => undefined);
      scenario.catch((e: unknown) => send({ type: 'fatal', message: e instanceof Error ? e.message.split('\n')[0] : String(e) }));
      return;
    }
    void scenario?.then(async (s) => {
      const agent = s.agents.find((a) => a.name === m.agent);
      if (!agent) return send({ type: 'fatal', message: `unknown agent "${m.agent}"` });
      const planned = plannedRollout(s.spec.seed, agent, m.horizon, m.instance, m.index);
      const sink = new TextSink();
      const r = await executeRollout({ planned, env: s.env, envParams: s.envParams, registry, sink, instances: instances ?? undefined });
      send({ type: 'done', seq: m.seq, steps: sink.text, line: r.line, end: r.end });
    }, () => undefined);
  });
}
