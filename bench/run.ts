/**
 * `npm run bench`: every benchmark case, one after another. Each prints its
 * own `bench ...` lines. Cases that are not present are skipped with a note.
 */
import { errorText } from '../src/core/index.js';

const CASES = ['./engine.js', './drafts.js', './horizon.js', './analyze.js', './scan.js', './replay.js', './llm.js', './openai.js', './batch.js', './inspect.js', './soak.js', './scale.js', './scaleout.js'];

/** Arguments for a case's main: the engine bench runs the Gymnasium peer around maze here (not when run alone). */
const ARGS: Record<string, unknown[]> = { './engine.js': [undefined, { peer: true }] };

for (const path of CASES) {
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
