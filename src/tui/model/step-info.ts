/**
 * What a step's `info`, `timing` and `text` say about a model call: tokens,
 * latency and the model's own text, found by the usual key names, plus any
 * other info as `key=value`. Pure.
 */
import type { StepRecord } from '../../log/index.js';
import { shortJson } from './patches.js';

export interface CallInfo {
  readonly tokens: string | null;
  readonly latency: string | null;
  readonly text: string | null;
  /** Other info keys, one `key=value` each (the observation excluded: shown on its own). */
  readonly other: readonly string[];
}

const TEXT_KEYS = ['text', 'modelText', 'response', 'completion', 'content', 'raw'];
const LATENCY_KEYS = ['latencyMs', 'latency', 'ms', 'durationMs', 'elapsedMs'];

function tokensOf(info: Record<string, unknown>): string | null {
  const parts: string[] = [];
  const visit = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'number' && /token/i.test(k)) parts.push(`${prefix}${k} ${v}`);
      else if (v && typeof v === 'object' && !Array.isArray(v) && /usage|tokens/i.test(k)) visit(v as Record<string, unknown>, '');
    }
  };
  visit(info, '');
  return parts.length > 0 ? parts.join(' · ') : null;
}

export function callInfo(rec: StepRecord): CallInfo {
  const info = (rec.info ?? {}) as Record<string, unknown>;
  const timing = (rec.timing ?? {}) as Record<string, unknown>;
  let text: string | null = typeof rec.text === 'string' ? rec.text : null;
  const used = new Set<string>(['observation']);
  if (text === null)
    for (const k of TEXT_KEYS)
      if (typeof info[k] === 'string') {
        text = info[k] as string;
        used.add(k);
        break;
      }
  let latency: string | null = null;
  for (const k of LATENCY_KEYS) {
    const v = timing[k] ?? info[k];
    if (typeof v === 'number') {
      latency = v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
      break;
    }
  }
  const tokens = tokensOf(info);
  const other = Object.entries(info)
    .filter(([k, v]) => !used.has(k) && !(typeof v === 'number' && /token/i.test(k)) && !/usage/i.test(k))
    .map(([k, v]) => `${k}=${shortJson(v, 40)}`);
  return { tokens, latency, text, other };
}
