/**
 * Benchmark: import a synthetic Inspect log of about 100 MB (100 samples ×
 * 4 epochs × 40 tool-calling turns, ~6 KB of tool output per turn), as a
 * streamed .json and as a deflate .eval, then export the imported run back
 * to .eval. Prints
 *   bench inspect-import format=<json|eval> mb=<input MB> steps=<n> mbPerCpuSecond=<r> baseMB=<b> peakMB=<m>
 *   bench inspect-export steps=<n> stepsPerCpuSecond=<r>
 * Rates are per CPU-second of this process; peakMB is the process's peak
 * resident set so far and baseMB the resident set before the first import:
 * their difference stays far below the input size (samples are read one
 * at a time). Exported `main` for bench/run.ts.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate } from 'fflate';
import { createRng, deriveSeed } from '../src/core/index.js';
import { exportInspect } from '../src/export/index.js';
import { importInspect } from '../src/import/index.js';

const IDS = 100;
const EPOCHS = 4;
const TURNS = 40;

function sample(id: number, epoch: number): string {
  const rng = createRng(deriveSeed(7, 'bench-inspect', id, epoch));
  const messages: object[] = [{ role: 'system', content: 'You are a careful agent.' }, { role: 'user', content: `Task ${id}: find the file.` }];
  for (let t = 0; t < TURNS; t++) {
    const dir = `/d${rng.int(3)}/${t}`;
    messages.push({ role: 'assistant', content: `Looking in ${dir}.`, tool_calls: [{ id: `c${t}`, function: 'bash', arguments: { cmd: `ls ${dir}` }, type: 'function' }] });
    messages.push({ role: 'tool', content: `file-${t}-${rng.int(1000)}.txt\n`.repeat(360), tool_call_id: `c${t}`, function: 'bash' });
  }
  return JSON.stringify({ id, epoch, input: `Task ${id}`, target: 'x', messages, scores: { match: { value: rng.next() < 0.5 ? 'C' : 'I' } }, metadata: {}, store: {}, events: [], model_usage: {}, attachments: {} });
}

const HEADER = { version: 2, status: 'success', eval: { task: 'bench', model: 'synthetic/model', created: '2026-01-01T00:00:00+00:00', config: { epochs: EPOCHS } }, plan: { name: 'plan', steps: [], config: {} }, stats: {} };

function writeJsonLog(file: string): void {
  const fd = openSync(file, 'w');
  const h = JSON.stringify(HEADER);
  writeSync(fd, h.slice(0, -1) + ',"samples":[');
  let first = true;
  for (let id = 0; id < IDS; id++) {
    for (let e = 1; e <= EPOCHS; e++) {
      writeSync(fd, (first ? '' : ',') + sample(id, e));
      first = false;
    }
  }
  writeSync(fd, ']}');
  closeSync(fd);
}

function writeEvalLog(file: string): void {
  const fd = openSync(file, 'w');
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    writeSync(fd, chunk);
  });
  const add = (name: string, text: string) => {
    const d = new ZipDeflate(name, { level: 6 });
    zip.add(d);
    d.push(Buffer.from(text), true);
  };
  for (let id = 0; id < IDS; id++) for (let e = 1; e <= EPOCHS; e++) add(`samples/${id}_epoch_${e}.json`, sample(id, e));
  add('header.json', JSON.stringify(HEADER));
  zip.end();
  closeSync(fd);
}

const cpuSeconds = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
const peakMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hotmess-bench-inspect-'));
  try {
    const json = join(dir, 'log.json');
    const evalFile = join(dir, 'log.eval');
    writeJsonLog(json);
    writeEvalLog(evalFile);
    let imported = '';
    global.gc?.();
    const baseMB = Math.round(process.memoryUsage().rss / 2 ** 20);
    for (const [format, file] of [['json', json], ['eval', evalFile]] as const) {
      const mb = statSync(file).size / 2 ** 20;
      const out = join(dir, `run-${format}`);
      const start = process.cpuUsage();
      const s = await importInspect(file, { out });
      const cpu = cpuSeconds(start);
      imported = out;
      // The .eval rate is per MB of the decompressed content, the same text as the .json.
      const content = statSync(json).size / 2 ** 20;
      process.stdout.write(`bench inspect-import format=${format} mb=${mb.toFixed(1)} steps=${s.steps} mbPerCpuSecond=${(content / cpu).toFixed(1)} baseMB=${baseMB} peakMB=${peakMB()}\n`);
    }
    const start = process.cpuUsage();
    const e = await exportInspect(imported, { out: join(dir, 'back.eval') });
    process.stdout.write(`bench inspect-export steps=${e.steps} stepsPerCpuSecond=${Math.round(e.steps / cpuSeconds(start))}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
