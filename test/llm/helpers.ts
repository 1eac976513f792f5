/** Shared setup of the LLM tests: a sentinel key, temp dirs, a registry and a one-call run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anthropic from '../../agents/anthropic.js';
import kvSum from '../../environments/kv-sum.js';
import maze from '../../environments/maze.js';
import { parseScenario, resolveScenario, runScenario, type Registry, type RunSummary } from '../../src/engine/index.js';
import { createLlmRuntime, type LlmRuntime } from '../../src/llm/index.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { hotmessWithEnv, type CliResult } from '../helpers/cli.js';
import { CLI } from '../helpers/run-dir.js';
import { startMessagesServer, type Handler, type MessagesServer } from './server.js';

/** A key that must never appear in any file a run writes. */
export const SENTINEL_KEY = 'sk-ant-api03-SENTINEL-do-not-log-7f3a9c1e';
export const KEY_ENV = 'HOTMESS_TEST_ANTHROPIC_KEY';
process.env[KEY_ENV] = SENTINEL_KEY;

export const REGISTRY: Registry = { environments: { 'kv-sum': kvSum, maze }, agents: { anthropic } };

const dirs: string[] = [];
export function tempDir(prefix = 'hotmess-llm-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface ScenarioOverrides {
  environment?: string;
  params?: Record<string, unknown>;
  horizons?: number[];
  instances?: number;
  rollouts?: number;
  concurrency?: number;
  agent?: Record<string, unknown>;
  seed?: number;
}

/** A scenario with one `anthropic` agent named "claude" talking to `baseURL`. */
export function scenarioSpec(baseURL: string, o: ScenarioOverrides = {}) {
  return {
    name: 'llm-test',
    environment: o.environment ?? 'kv-sum',
    params: o.params ?? { dictSize: 8, keysPerStep: 1 },
    horizons: o.horizons ?? [3],
    instances: o.instances ?? 1,
    rollouts: o.rollouts ?? 2,
    seed: o.seed ?? 11,
    concurrency: o.concurrency ?? 1,
    agents: [{ name: 'claude', kind: 'anthropic', params: { model: 'claude-haiku-4-5', baseURL, apiKeyEnv: KEY_ENV, maxRetries: 0, ...(o.agent ?? {}) } }],
  };
}

export async function resolve(spec: unknown) {
  return resolveScenario(parseScenario(spec), REGISTRY, null);
}

/** Run a scenario into `out` with a runtime whose cache lives in out/cache. */
export async function run(spec: unknown, out: string, opts: { resume?: boolean; runtime?: LlmRuntime; shouldStop?: () => string | null } = {}): Promise<{ summary: RunSummary; runtime: LlmRuntime }> {
  const s = await resolve(spec);
  const runtime = opts.runtime ?? createLlmRuntime({ cacheDir: join(out, 'cache'), maxRequests: Infinity });
  const summary = await runScenario(s, { out, registry: REGISTRY, version: 'test', resume: opts.resume, services: runtime.services(), shouldStop: opts.shouldStop });
  return { summary, runtime };
}

export function readJsonl(path: string): any[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

export const steps = (dir: string) => readJsonl(join(dir, 'steps.jsonl'));
export const rollouts = (dir: string) => readJsonl(join(dir, 'rollouts.jsonl'));

/** Lines without their wall-clock `timing`, sorted: what a replay must reproduce. */
export function withoutTiming(lines: any[]): string[] {
  return lines
    .map((l) => {
      const { timing: _t, ...rest } = l;
      return JSON.stringify(rest);
    })
    .sort();
}

/** Every file under dir, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

/** The CLI as a real process (one node process with tsx's loader). */
export { CLI };

export type { CliResult } from '../helpers/cli.js';

/** Run the CLI in-process with these environment variables (the test's Messages server keeps answering: nothing blocks). */
export function runCli(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<CliResult> {
  return hotmessWithEnv(env, args);
}

/** The CLI in its own process group, for kill -9 tests; returns the child. */
export function spawnCliDetached(args: readonly string[]): ChildProcess {
  return spawn(CLI[0], [...CLI.slice(1), ...args], { stdio: 'ignore', detached: true, env: { ...process.env, CI: '1' } });
}

/** Poll until `ok()` holds (no fixed sleeps: the wait ends as soon as the condition does). */
export async function waitFor(ok: () => boolean, what: string, limitMs = 90_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Start the test Messages server for a test file: one server for the file,
 * requests and handler reset and temp dirs cleaned after every test.
 */
export function useMessagesServer(defaultHandler: Handler, bind: (server: MessagesServer) => void): void {
  let server: MessagesServer;
  beforeAll(async () => {
    server = await startMessagesServer(SENTINEL_KEY, defaultHandler);
    bind(server);
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
    server.handler = defaultHandler;
    cleanup();
  });
}
