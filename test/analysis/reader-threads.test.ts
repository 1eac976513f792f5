/**
 * analyze with reader threads gives what it gives on one thread: the same
 * analysis.json for every environment's golden run, and, for a log with a
 * fault, the same error naming the same line. Ranges are a few hundred
 * bytes, so nearly every line is the first or last of one, and the read
 * starts once the thread is up, so that it reads part of even a small file
 * (checked by counting what it read).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRun, READER_IDLE_MS, releaseReaderThreads, type AnalyzeOptions } from '../../src/analysis/index.js';
import { keptReaderThreads } from '../../src/analysis/step-reader.js';
import { tempDir } from '../helpers/run-dir.js';

const golden = join(import.meta.dirname, '..', 'golden');
const ONE: AnalyzeOptions = { resamples: 50, reading: { threads: 0 } };
const threaded = (threadStats: { ranges: number; lines: number }, segmentBytes = 300): AnalyzeOptions => ({
  resamples: 50,
  reading: { threads: 1, segmentBytes, awaitThreads: true, threadStats },
});

/** A copy of a golden run whose steps.jsonl `edit` rewrites (by lines). */
function editedCopy(env: string, edit: (lines: string[]) => string): string {
  const dir = join(tempDir('hotmess-threads-'), env);
  mkdirSync(dir);
  for (const f of ['manifest.json', 'rollouts.jsonl', 'steps.jsonl']) copyFileSync(join(golden, env, f), join(dir, f));
  const file = join(dir, 'steps.jsonl');
  writeFileSync(file, edit(readFileSync(file, 'utf8').split('\n').filter(Boolean)));
  return dir;
}

/** The error text of a failed analysis (the test fails if it does not fail). */
async function failure(dir: string, options: AnalyzeOptions): Promise<string> {
  try {
    await analyzeRun(dir, options);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`analysis of ${dir} did not fail`);
}

describe('analyze with reader threads', () => {
  for (const env of readdirSync(golden)) {
    it(`gives the same analysis of the golden ${env} run as one thread`, async () => {
      const stats = { ranges: 0, lines: 0 };
      const one = JSON.stringify(await analyzeRun(join(golden, env), ONE));
      const two = JSON.stringify(await analyzeRun(join(golden, env), threaded(stats)));
      expect(two).toBe(one);
      expect(stats.ranges).toBeGreaterThan(0);
    });
  }

  // Ranges of many lines too: a thread's builder then carries what it caches from line to line (one value per spelling) across lines of a range.
  for (const env of readdirSync(golden)) {
    it(`gives the same analysis of the golden ${env} run as one thread, in ranges of 16 kB`, async () => {
      const stats = { ranges: 0, lines: 0 };
      const one = JSON.stringify(await analyzeRun(join(golden, env), ONE));
      const two = JSON.stringify(await analyzeRun(join(golden, env), threaded(stats, 16 << 10)));
      expect(two).toBe(one);
      expect(stats.lines).toBeGreaterThan(100);
    });
  }

  it('gives the same analysis when the steps of rollouts interleave and a torn last line ends the file', async () => {
    // Lines of different rollouts alternating, as a hand-merged log would have them; a torn tail.
    const dir = editedCopy('maze', (lines) => {
      const byRollout = new Map<string, string[]>();
      for (const l of lines) {
        const id = (JSON.parse(l) as { rollout: string }).rollout;
        byRollout.set(id, [...(byRollout.get(id) ?? []), l]);
      }
      const queues = [...byRollout.values()];
      const out: string[] = [];
      while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
      return out.join('\n') + '\n{"rollout":"x:1:0:0","t":1,"act';
    });
    const stats = { ranges: 0, lines: 0 };
    const one = await analyzeRun(dir, ONE);
    expect(one.counts.tornLines).toBe(1);
    expect(JSON.stringify(await analyzeRun(dir, threaded(stats)))).toBe(JSON.stringify(one));
    expect(stats.ranges).toBeGreaterThan(0);
  });

  const faults: [string, (lines: string[]) => string, RegExp][] = [
    ['a corrupt line', (l) => [...l.slice(0, 40), '{"rollout":"a",t:1}', ...l.slice(40)].join('\n') + '\n', /steps\.jsonl:41: corrupt line/],
    ['a step missing', (l) => [...l.slice(0, 30), ...l.slice(31)].join('\n') + '\n', /has no line for step|has \d+ of its \d+ steps/],
    ['a measure that is not numbers', (l) => [...l.slice(0, 50), l[50].replace(/"measure":\[[^\]]*\]/, '"measure":["x"]'), ...l.slice(51)].join('\n') + '\n', /steps\.jsonl:51: "measure" and "target" must be numbers/],
    ['a step number that is not an integer', (l) => [...l.slice(0, 60), l[60].replace(/"t":\d+/, '"t":2.5'), ...l.slice(61)].join('\n') + '\n', /steps\.jsonl:61: "t" must be an integer/],
  ];
  for (const [name, edit, pattern] of faults) {
    it(`refuses ${name} with the same line as one thread`, async () => {
      const dir = editedCopy('kv-sum', edit);
      const one = await failure(dir, ONE);
      expect(one).toMatch(pattern);
      expect(await failure(dir, threaded({ ranges: 0, lines: 0 }))).toBe(one);
    });
  }
});

/** The OS threads of this process (Linux): a reader thread is one while it lives. */
const osThreads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

// A process that analysed a large run and moved on (the TUI, a notebook, the next bench case) gets the threads' heaps back.
describe('reader threads after analyzeRun', () => {
  it(`are kept for a read that follows and ended once idle for READER_IDLE_MS (${READER_IDLE_MS} ms)`, async () => {
    const dir = join(golden, 'kv-sum');
    // The thread pool of node's file system calls, started by a first read: it stays, and would be counted below.
    await analyzeRun(dir, ONE);
    await releaseReaderThreads();
    const before = osThreads();
    const stats = { ranges: 0, lines: 0 };
    await analyzeRun(dir, threaded(stats));
    expect(stats.ranges).toBeGreaterThan(0);
    expect(keptReaderThreads()).toBe(1);
    const kept = osThreads();
    expect(kept).toBeGreaterThan(before);
    // A read soon after takes the same thread.
    await analyzeRun(dir, threaded(stats));
    expect(keptReaderThreads()).toBe(1);
    expect(osThreads()).toBe(kept);
    await new Promise((resolve) => setTimeout(resolve, READER_IDLE_MS + 500));
    expect(keptReaderThreads()).toBe(0);
    expect(osThreads()).toBeLessThanOrEqual(before);
  });

  it('are ended at once by releaseReaderThreads', async () => {
    await releaseReaderThreads();
    const before = osThreads();
    await analyzeRun(join(golden, 'maze'), threaded({ ranges: 0, lines: 0 }));
    expect(osThreads()).toBeGreaterThan(before);
    await releaseReaderThreads();
    expect(keptReaderThreads()).toBe(0);
    expect(osThreads()).toBeLessThanOrEqual(before);
  });
});
