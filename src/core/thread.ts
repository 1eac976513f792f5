/**
 * Worker threads for modules of this project. It runs from TypeScript
 * source through tsx, and Node 20 does not hand the parent's loader hooks
 * to a worker thread: a `.ts` entry is started by a small script that
 * registers tsx's loader in the thread first, then imports the entry.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** tsx's ESM registration API as a URL the thread can import. */
function tsxApi(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    // Hosts without import.meta.resolve (a test runner's transform): from tsx's package directory.
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
  }
}

/** A worker thread running the module at `entry` (TypeScript or JavaScript). */
export function spawnThread(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  const boot = `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true });
}
