/**
 * A place of N worker processes on this machine (`run --workers N`). Each
 * child resolves the scenario once and runs the rollouts it is sent; it
 * sends back every finished rollout whole (its step lines and its rollout
 * line), and the main process commits it. Child processes rather than
 * threads, so a worker can die on its own (kill -9, out of memory) without
 * taking the run down: its rollouts in flight are sent to another worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errorLine, HotmessError, type Waiting } from '../core/index.js';
import { errorRolloutLine, type ExecuteResult } from './execute.js';
import type { Readable } from 'node:stream';
import type { PlannedRollout } from './plan.js';
import { endOfLine, type RolloutPlace, type RolloutSink } from './place.js';
import { FrameReader, type Frame } from './pool-frames.js';
import type { ScenarioFile } from './scenario.js';

/** Main process → worker. */
export type ToWorker =
  | { readonly type: 'init'; readonly spec: ScenarioFile; readonly file: string | null; readonly services?: unknown }
  | { readonly type: 'run'; readonly seq: number; readonly agent: string; readonly horizon: number; readonly instance: number; readonly index: number }
  | { readonly type: 'svc'; readonly m: unknown };

/** Worker → main process, on the IPC channel (finished rollouts come on the result pipe: pool-frames.ts). */
export type FromWorker = { readonly type: 'fatal'; readonly message: string } | { readonly type: 'svc'; readonly m: unknown };

/**
 * Services the workers' agents draw on in this process, over the IPC
 * channel: for model-backed agents, the run's one request limiter, cost
 * ledger (so its budget) and response cache (llm/remote.ts). The worker
 * side is the `services` option of `serveRollouts`.
 */
export interface PoolServices {
  /** Sent to each worker with the scenario (JSON-able). */
  init(): unknown;
  /** A new worker: its messages go to `receive`, in order; `detach` once it is gone. */
  attach(send: (m: unknown) => void): { receive(m: unknown): void; detach(): void };
}

/** The worker's end of the result pipe (after stdin, stdout, stderr and the IPC channel). */
export const RESULT_FD = 4;

export interface PoolOptions {
  /** The module a worker runs: it calls `serveRollouts(registry)` (the CLI's rollout-worker.ts). */
  readonly entry: URL;
  readonly workers: number;
  readonly scenario: { readonly spec: ScenarioFile; readonly file: string | null };
  /** Rollouts sent ahead to each worker, so it never idles while the main process commits. */
  readonly depth?: number;
  /** How often one rollout may lose its worker before it is recorded as an `error` rollout. */
  readonly maxAttempts?: number;
  readonly services?: PoolServices;
}

export interface WorkerPool extends RolloutPlace {
  /** A pool never withdraws a rollout: each ends, or the run is stopped by the loop. */
  run(planned: PlannedRollout, sink: RolloutSink, signal?: AbortSignal): Promise<ExecuteResult>;
  /** The live workers' process ids (tests kill them). */
  pids(): number[];
  /** Workers that died while running rollouts, so far. */
  readonly crashes: number;
}

interface Task extends Waiting<ExecuteResult> {
  readonly seq: number;
  readonly planned: PlannedRollout;
  readonly sink: RolloutSink;
}

interface Worker {
  readonly proc: ChildProcess;
  readonly inflight: Map<number, Task>;
}

/** `--workers auto`: the cores this process may use. */
export const autoWorkers = (): number => Math.max(1, availableParallelism());

/** A TypeScript entry needs tsx's loader in the child, however this process got it (flag, or register() in bin/). */
function childExecArgv(entry: URL): string[] {
  const keep = process.execArgv.filter((a) => /^--(max-old-space-size|enable-source-maps|stack-size)/.test(a));
  if (!entry.pathname.endsWith('.ts')) return keep;
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', loader, ...keep];
}

export function workerPool(o: PoolOptions): WorkerPool {
  const depth = o.depth ?? 2;
  const maxAttempts = o.maxAttempts ?? 3;
  const workers = new Set<Worker>();
  const pending: Task[] = [];
  const tasks = new Map<number, Task>();
  let seq = 0;
  let crashes = 0;
  let closing = false;
  let fatal: HotmessError | null = null;
  let abortHooked = false;

  const fail = (e: HotmessError) => {
    fatal ??= e;
    for (const t of tasks.values()) t.reject(fatal);
    tasks.clear();
    pending.length = 0;
  };

  const spawn = () => {
    const proc = fork(fileURLToPath(o.entry), [], { execArgv: childExecArgv(o.entry), serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc', 'pipe'] });
    const w: Worker = { proc, inflight: new Map() };
    workers.add(w);
    const link = o.services?.attach((m) => {
      if (proc.connected) proc.send({ type: 'svc', m } satisfies ToWorker, undefined, {}, () => undefined);
    });
    // A frame waits here until the service messages sent before it have been applied (pool-frames.ts).
    let servicesApplied = 0;
    const held: Frame[] = [];
    const commit = (f: Frame) => {
      const t = w.inflight.get(f.seq);
      w.inflight.delete(f.seq);
      if (t && tasks.delete(t.seq)) {
        try {
          for (const part of f.steps) t.sink.bytes(part);
        } catch (e) {
          // A write that failed (a full disk) is the run's: it stops every rollout, as in one process. Thrown here, in a pipe's handler, it would crash the process instead.
          t.reject(e);
          fail(e instanceof HotmessError ? e : new HotmessError('log', errorLine(e)));
          return;
        }
        t.resolve({ end: endOfLine(f.line), line: f.line });
      }
    };
    proc.on('message', (m: FromWorker) => {
      if (m.type === 'svc') {
        link?.receive(m.m);
        servicesApplied++;
        if (held.length > 0 && held[0].services <= servicesApplied) {
          while (held.length > 0 && held[0].services <= servicesApplied) commit(held.shift()!);
          dispatch();
        }
      } else if (m.type === 'fatal') fail(new HotmessError('scenario', `worker process: ${m.message}`));
    });
    const frames = new FrameReader();
    const results = proc.stdio[RESULT_FD] as Readable;
    results.on('error', () => undefined); // the worker died: 'exit' does the bookkeeping
    results.on('data', (chunk: Buffer) => {
      // Frames come in the order the worker sent them, so their counts never decrease: held is in order.
      for (const f of frames.push(chunk)) {
        if (held.length === 0 && f.services <= servicesApplied) commit(f);
        else held.push(f);
      }
      dispatch();
    });
    proc.on('error', () => undefined); // 'exit' follows and does the bookkeeping
    proc.on('exit', (code, signal) => {
      workers.delete(w);
      link?.detach();
      if (closing || fatal) return;
      if (w.inflight.size > 0) crashes++;
      // Its rollouts in flight go to the front of the line; the rest of the run is untouched.
      for (const t of [...w.inflight.values()].reverse()) {
        if (!tasks.has(t.seq)) continue;
        if (++t.attempts >= maxAttempts) {
          tasks.delete(t.seq);
          const how = signal ?? `exit code ${code}`;
          t.resolve({ end: { termination: 'error', error: `worker process died ${t.attempts} times running it (last: ${how})` }, line: errorRolloutLine(t.planned, `worker process died ${t.attempts} times running it (last: ${how})`) });
        } else pending.unshift(t);
      }
      if (crashes > 10 * o.workers + maxAttempts) return fail(new HotmessError('agent', `worker processes keep dying (${crashes} times; last: ${signal ?? `exit code ${code}`}); run with --workers 1 to see why`));
      spawn();
      dispatch();
    });
    proc.send({ type: 'init', spec: o.scenario.spec, file: o.scenario.file, services: o.services?.init() } satisfies ToWorker);
  };

  const dispatch = () => {
    while (pending.length > 0) {
      let best: Worker | null = null;
      for (const w of workers) if (w.inflight.size < depth && w.proc.connected && (!best || w.inflight.size < best.inflight.size)) best = w;
      if (!best) return;
      const t = pending.shift()!;
      best.inflight.set(t.seq, t);
      const p = t.planned;
      best.proc.send({ type: 'run', seq: t.seq, agent: p.agent.name, horizon: p.horizon, instance: p.instance, index: p.index } satisfies ToWorker);
    }
  };

  const onAbort = () => {
    // Stopping: nothing more is committed, so settle every rollout now (the loop discards them).
    for (const t of tasks.values()) t.resolve({ end: { termination: 'error', error: 'aborted' }, line: '' });
    tasks.clear();
    pending.length = 0;
  };

  return {
    slots: o.workers * depth,
    get crashes() {
      return crashes;
    },
    pids: () => [...workers].map((w) => w.proc.pid!).filter((p) => p !== undefined),
    run(planned, sink, signal) {
      if (fatal) return Promise.reject(fatal);
      if (signal && !abortHooked) {
        abortHooked = true;
        signal.addEventListener('abort', onAbort, { once: true });
      }
      if (workers.size === 0) for (let i = 0; i < o.workers; i++) spawn();
      return new Promise<ExecuteResult>((resolve, reject) => {
        const t: Task = { seq: seq++, planned, sink, resolve, reject, attempts: 0 };
        tasks.set(t.seq, t);
        pending.push(t);
        dispatch();
      });
    },
    async close() {
      closing = true;
      const exits = [...workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.proc.kill('SIGKILL'), 2000);
            w.proc.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.proc.connected) w.proc.disconnect();
            else w.proc.kill('SIGKILL');
          }),
      );
      await Promise.all(exits);
    },
  };
}
