/**
 * The worker side of pool.ts: a child process that resolves the scenario it
 * is sent and runs rollouts one message at a time. It writes nothing: every
 * finished rollout goes back to the main process, the run's single writer,
 * as a frame of bytes on the result pipe (pool-frames.ts).
 */
import { Socket } from 'node:net';
import { errorLine, HotmessError, type AgentServices } from '../core/index.js';
import { executeRollout } from './execute.js';
import { InstanceCache } from './instances.js';
import { plannedRollout } from './plan.js';
import { startFrame } from './pool-frames.js';
import { RESULT_FD, type FromWorker, type ToWorker } from './pool.js';
import type { Registry } from './registry.js';
import { parseScenario, resolveScenario, type ResolvedScenario } from './scenario.js';

/** The worker side of `PoolOptions.services`: the agents' services, drawing on the main process over `send`. */
export type WorkerServices = (init: unknown, send: (m: unknown) => void) => { readonly services: AgentServices; receive(m: unknown): void };

export function serveRollouts(registry: Registry, opts: { readonly services?: WorkerServices } = {}): void {
  if (!process.send) throw new HotmessError('usage', 'the rollout worker runs only as a child of `hotmess run --workers N`');
  // Ctrl-C reaches the whole process group: the main process decides when workers stop.
  process.on('SIGINT', () => undefined);
  // The main process is gone (finished, or killed): nothing to send results to.
  process.on('disconnect', () => process.exit(0));
  const results = new Socket({ fd: RESULT_FD, readable: false, writable: true });
  // A main process that stopped reading (closing, killed) is not this worker's error.
  results.on('error', () => process.exit(0));
  // A result for a main process that stopped listening (interrupted, closing) is dropped, not an error.
  const send = (m: FromWorker) => {
    if (process.connected) process.send!(m, undefined, {}, () => undefined);
  };
  // Service messages sent so far: each frame carries the count (pool-frames.ts says why).
  let servicesSent = 0;
  let scenario: Promise<ResolvedScenario> | null = null;
  let services: ReturnType<WorkerServices> | null = null;
  let instances: InstanceCache | null = null;
  // Size the next frame like the last one, so a rollout's bytes are rarely copied to grow.
  let capacity = 1 << 16;
  process.on('message', (m: ToWorker) => {
    if (m.type === 'svc') return services?.receive(m.m);
    if (m.type === 'init') {
      if (opts.services && m.services !== undefined) services = opts.services(m.services, (x) => {
        servicesSent++;
        send({ type: 'svc', m: x });
      });
      scenario = resolveScenario(parseScenario(m.spec), registry, m.file);
      scenario.then((s) => (instances = new InstanceCache(s.env, s.envParams)), () => undefined);
      scenario.catch((e: unknown) => send({ type: 'fatal', message: errorLine(e) }));
      return;
    }
    void scenario?.then(async (s) => {
      const agent = s.agents.find((a) => a.name === m.agent);
      if (!agent) return send({ type: 'fatal', message: `unknown agent "${m.agent}"` });
      const planned = plannedRollout(s.spec.seed, agent, m.horizon, m.instance, m.index);
      const frame = startFrame(m.seq, capacity);
      const r = await executeRollout({ planned, env: s.env, envParams: s.envParams, registry, sink: frame.sink, instances: instances ?? undefined, services: services?.services });
      const bytes = frame.finish(r.line, servicesSent);
      capacity = Math.max(1 << 12, bytes.length + (bytes.length >> 3));
      results.write(bytes);
    }, () => undefined);
  });
}
