/**
 * `npm run bench`: every benchmark case, one after another. Each prints its
 * own `bench ...` lines. Cases that are not present are skipped with a note.
 * Before each case, what the process holds then (earlier cases' leftovers
 * are in every later case's figures: a large old space makes each major GC
 * dearer):
 *   bench memory before=<case> rssMB=<resident set> heapMB=<V8 heap in use> externalMB=<ArrayBuffers and other memory V8 counts>
 */
import { errorText } from '../src/core/index.js';

const CASES = ['./engine.js', './drafts.js', './horizon.js', './analyze.js', './scan.js', './replay.js', './llm.js', './openai.js', './batch.js', './inspect.js', './soak.js', './scale.js', './scaleout.js'];

/** Arguments for a case's main: the engine bench runs the Gymnasium peer around maze here (not when run alone). */
const ARGS: Record<string, unknown[]> = { './engine.js': [undefined, { peer: true }] };

const mb = (bytes: number): string => (bytes / 1048576).toFixed(0);

for (const path of CASES) {
  const m = process.memoryUsage();
  process.stdout.write(`bench memory before=${path.slice(2, -3)} rssMB=${mb(m.rss)} heapMB=${mb(m.heapUsed)} externalMB=${mb(m.external)}\n`);
  let mod: { main?: (...args: unknown[]) => Promise<void> };
  try {
    mod = (await import(path)) as { main?: (...args: unknown[]) => Promise<void> };
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && errorText(e).includes(path.slice(2, -3))) {
      process.stdout.write(`bench ${path.slice(2, -3)} skipped (not present)\n`);
      continue;
    }
    throw e;
  }
  await mod.main?.(...(ARGS[path] ?? []));
}
