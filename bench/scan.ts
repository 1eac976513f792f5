/**
 * Benchmark: the step-line scanner of `analyze` (src/analysis/step-reader.ts)
 * on kv-sum's step lines as the engine writes them (the golden kv-sum run's
 * lines, renumbered into rollouts of 10,000 steps as in `bench scale`),
 * 400,000 lines in a temp file, in CPU time per line so that other load
 * skews it less. Prints
 *   bench scan lines=<n> bytes_per_line=<b> thread_ns=<ns> main_ns=<ns> onstep_ns=<ns> load=<1-min load>
 * thread_ns: a reader thread turning 8 MB ranges into columns and sending
 * them (the process's CPU while only the thread works); main_ns: the same
 * scan on the main thread; onstep_ns: one thread reading the file line by
 * line to a callback (readStepLines with no thread). Each is the best of 3
 * rounds after a warm-up round. Exported `main` for bench/run.ts; runs when
 * executed directly.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnThread } from '../src/core/index.js';
import { nextLineStart } from '../src/log/index.js';
import { readStepLines, scanSegment, SEGMENT_BYTES, type SegmentTask, type ThreadMessage } from '../src/analysis/step-reader.js';

const LINES = 400_000;
const HORIZON = 10_000;
const ROUNDS = 3;

/** kv-sum lines: each golden line's fields from `action` on, under a rollout id and step of a 10,000-step rollout. */
function writeLines(file: string): number {
  const golden = readFileSync(fileURLToPath(new URL('../test/golden/kv-sum/steps.jsonl', import.meta.url)), 'utf8').split('\n').filter(Boolean);
  const tails = golden.map((l) => l.slice(l.indexOf(',"action":')));
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const r = Math.floor(i / HORIZON);
    out.push(`{"rollout":"noisy:${HORIZON}:${r % 10}:${r}","t":${(i % HORIZON) + 1}${tails[i % tails.length]}`);
  }
  const text = out.join('\n') + '\n';
  writeFileSync(file, text);
  return text.length;
}

/** The file's ranges of whole lines, as `analyze` cuts them for its threads. */
function ranges(file: string): SegmentTask[] {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const tasks: SegmentTask[] = [];
  try {
    for (let start = 0; start < size; ) {
      const end = nextLineStart(fd, start + SEGMENT_BYTES, size);
      tasks.push({ file, seg: tasks.length, start, end: end >= size ? null : end, readState: false });
      start = end;
    }
  } finally {
    closeSync(fd);
  }
  return tasks;
}

/** CPU nanoseconds per line of `fn` (all threads of the process), best of ROUNDS after a warm-up. */
async function best(fn: () => Promise<number> | number): Promise<number> {
  let min = Infinity;
  for (let r = 0; r <= ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const lines = await fn();
    const c = process.cpuUsage(c0);
    if (lines !== LINES) throw new Error(`scanned ${lines} lines of ${LINES}`);
    if (r > 0) min = Math.min(min, ((c.user + c.system) * 1000) / lines);
  }
  return min;
}

export async function main(): Promise<{ threadNs: number; mainNs: number; onStepNs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-scan-'));
  const worker = spawnThread(new URL(`../src/analysis/step-thread${fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  try {
    const file = join(dir, 'steps.jsonl');
    const bytes = writeLines(file);
    const tasks = ranges(file);
    let reply: ((m: ThreadMessage) => void) | null = null;
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: ThreadMessage) => ('ready' in m ? resolve() : reply?.(m)));
    });
    await ready;
    const viaThread = async () => {
      let n = 0;
      for (const task of tasks) {
        const m = await new Promise<ThreadMessage>((resolve) => {
          reply = resolve;
          worker.postMessage(task);
        });
        if (!('done' in m)) throw new Error(`the reader thread failed a range: ${'failed' in m ? m.failed : '?'}`);
        n += m.done.n;
      }
      return n;
    };
    const threadNs = await best(viaThread);
    const mainNs = await best(() => tasks.reduce((n, task) => n + scanSegment(task).columns.n, 0));
    const onStepNs = await best(async () => {
      let n = 0;
      await readStepLines(file, () => void n++, () => undefined, { threads: 0, readState: false });
      return n;
    });
    const f = (x: number) => x.toFixed(0);
    process.stdout.write(`bench scan lines=${LINES} bytes_per_line=${(bytes / LINES).toFixed(1)} thread_ns=${f(threadNs)} main_ns=${f(mainNs)} onstep_ns=${f(onStepNs)} load=${loadavg()[0].toFixed(1)}\n`);
    return { threadNs, mainNs, onStepNs };
  } finally {
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
