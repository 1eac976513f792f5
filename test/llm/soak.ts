/**
 * The fault soak, shared by the soak test and `npm run bench` (soak): a
 * scenario of the `anthropic` agent on kv-sum or maze against the test
 * Messages server with seeded faults (fault-server.ts), run through the CLI's
 * `run` command in this process, and the checks every finished run directory
 * must pass: each planned rollout exactly once, none errored, every
 * rollout's steps exactly 1..length.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kvSumAnswer, message, type Handler, type MessagesBody } from './server.js';

export type SoakEnv = 'kv-sum' | 'maze';

/** A right (kv-sum) or legal (maze) reply to any request, re-asks included. */
export const soakAnswer: Record<SoakEnv, Handler> = {
  'kv-sum': (r) => message(r.n, { input: { action: kvSumAnswer(r.body) } }),
  maze: (r) => message(r.n, { input: { action: firstOpenDirection(r.body) } }),
};

function firstOpenDirection(body: MessagesBody): string {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m.role !== 'user') continue;
    for (const b of m.content) {
      const open = b.type === 'text' ? /Open directions: ([^.]*)\./.exec(b.text) : null;
      if (open) return open[1].split(', ')[0];
    }
  }
  return 'N';
}

export interface SoakScenario {
  readonly env: SoakEnv;
  readonly baseURL: string;
  readonly keyEnv: string;
  readonly horizon: number;
  readonly rollouts: number;
  readonly concurrency: number;
  readonly seed: number;
  /** The agent's first backoff (ms) when the server names no retry-after. */
  readonly retryDelayMs: number;
}

/** Write the soak scenario into `dir`; returns its path. */
export function writeSoakScenario(dir: string, s: SoakScenario): string {
  const file = join(dir, `soak-${s.env}.yaml`);
  writeFileSync(
    file,
    stringify({
      name: `soak-${s.env}`,
      environment: s.env,
      params: s.env === 'kv-sum' ? { dictSize: 16, keysPerStep: 1 } : {},
      horizons: [s.horizon],
      instances: 1,
      rollouts: s.rollouts,
      seed: s.seed,
      concurrency: s.concurrency,
      agents: [{ name: 'claude', kind: 'anthropic', params: { model: 'claude-haiku-4-5', baseURL: s.baseURL, apiKeyEnv: s.keyEnv, retryDelayMs: s.retryDelayMs } }],
    }),
  );
  return file;
}

const jsonl = (path: string): any[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));

/** What is wrong with a finished run directory of `expected` rollouts (empty: nothing). */
export function runDirProblems(out: string, expected: number): string[] {
  const problems: string[] = [];
  const records = jsonl(join(out, 'rollouts.jsonl'));
  const ids = new Set<string>();
  for (const r of records) {
    if (ids.has(r.rollout)) problems.push(`rollout ${r.rollout} committed twice`);
    ids.add(r.rollout);
    if (r.termination === 'error') problems.push(`rollout ${r.rollout} errored: ${r.error}`);
  }
  if (ids.size !== expected) problems.push(`${ids.size} rollouts committed, expected ${expected}`);
  const ts = new Map<string, number[]>();
  for (const s of jsonl(join(out, 'steps.jsonl'))) {
    let list = ts.get(s.rollout);
    if (!list) ts.set(s.rollout, (list = []));
    list.push(s.t);
  }
  for (const r of records) {
    const got = (ts.get(r.rollout) ?? []).sort((a, b) => a - b);
    const want = Array.from({ length: r.length }, (_, i) => i + 1);
    if (got.join(',') !== want.join(',')) problems.push(`rollout ${r.rollout}: steps ${got.join(',') || 'none'}, expected 1..${r.length}`);
  }
  for (const id of ts.keys()) if (!ids.has(id)) problems.push(`steps of uncommitted rollout ${id}`);
  return problems;
}

/** Ledger kinds counted over every invocation on a run directory. */
export function ledgerCounts(out: string): { sent: number; reply: number; refused: number; lost: number; unknown: number } {
  const lines = jsonl(join(out, 'cost.jsonl'));
  const open = new Set<string>();
  const c = { sent: 0, reply: 0, refused: 0, lost: 0, unknown: 0 };
  for (const l of lines) {
    const id = `${l.invocation}:${l.id}`;
    if (l.kind === 'sent') {
      c.sent++;
      open.add(id);
    } else if (l.kind === 'reply' || l.kind === 'refused') {
      c[l.kind as 'reply' | 'refused']++;
      open.delete(id);
    } else if (l.kind === 'lost') c.lost++;
  }
  c.unknown = open.size;
  return c;
}
