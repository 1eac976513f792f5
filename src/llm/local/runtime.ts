/**
 * The node-llama-cpp side of the `local` agent: the package is imported
 * lazily (only when a local agent is created), llama.cpp is loaded once per
 * process from the prebuilt CPU binary (never a download, never a build),
 * and each GGUF file is loaded once per path and shared by every rollout.
 * Contexts are per rollout: sharing one between rollouts would make a
 * rollout's numbers depend on its neighbours'. Models are released when the
 * process is about to exit, or by `disposeLocalModels`.
 */
import { createRequire } from 'node:module';
import { errorLine, HotmessError } from '../../core/index.js';
import type { Llama, LlamaJsonSchemaGrammar, LlamaModel } from 'node-llama-cpp';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

export const PINNED_VERSION = '3.21.1';
export const INSTALL_HINT = `npm install node-llama-cpp@${PINNED_VERSION}`;

const missing = (): HotmessError =>
  new HotmessError('agent', `the local agent needs node-llama-cpp ${PINNED_VERSION}, which is not installed; run: ${INSTALL_HINT}`);

/** Throws the install hint when the package cannot be resolved (synchronous: usable in params validation). */
export function assertInstalled(): void {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
  } catch {
    throw missing();
  }
}

let lib: Promise<NodeLlamaCpp> | null = null;
let llama: Promise<Llama> | null = null;
const models = new Map<string, Promise<LlamaModel>>();
const grammars = new Map<string, Promise<LlamaJsonSchemaGrammar<any>>>();
let exitHook = false;

export function loadLibrary(): Promise<NodeLlamaCpp> {
  lib ??= import('node-llama-cpp').catch(() => {
    lib = null;
    throw missing();
  });
  return lib;
}

async function getRuntime(): Promise<Llama> {
  llama ??= loadLibrary().then((m) =>
    m.getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: m.LlamaLogLevel.error }).catch((e: unknown) => {
      llama = null;
      throw new HotmessError('agent', `node-llama-cpp could not load its prebuilt CPU binary (no build or download is attempted): ${errorLine(e)}`);
    }),
  );
  if (!exitHook) {
    exitHook = true;
    // Release native memory when the work is done; `beforeExit` fires once the loop is idle.
    process.once('beforeExit', () => void disposeLocalModels());
  }
  return llama;
}

/** The model at an absolute path, loaded on first use and cached for the process. */
export function loadModel(path: string): Promise<LlamaModel> {
  let m = models.get(path);
  if (!m) {
    m = getRuntime().then((l) =>
      l.loadModel({ modelPath: path, gpuLayers: 0 }).catch((e: unknown) => {
        models.delete(path);
        throw new HotmessError('agent', `${path}: cannot load this GGUF model: ${errorLine(e)}`);
      }),
    );
    models.set(path, m);
  }
  return m;
}

/**
 * The grammar admitting a JSON schema, compiled once per schema (maze's
 * `{action: N|E|S|W}` is compiled once for a whole run). Grammars are
 * definitions; each generation keeps its own evaluation state.
 */
export function grammarFor(schema: object): Promise<LlamaJsonSchemaGrammar<any>> {
  const key = JSON.stringify(schema);
  let g = grammars.get(key);
  if (!g) {
    g = getRuntime().then((l) =>
      l.createGrammarForJsonSchema(schema as never).catch((e: unknown) => {
        grammars.delete(key);
        throw new HotmessError('agent', `local: cannot build a grammar for the action schema ${key.slice(0, 80)}: ${errorLine(e)}`);
      }),
    );
    grammars.set(key, g);
  }
  return g;
}

/** Dispose every cached model and the runtime. Safe to call more than once. */
export async function disposeLocalModels(): Promise<void> {
  const loaded = [...models.values()];
  models.clear();
  grammars.clear();
  for (const m of loaded) await m.then((model) => model.dispose()).catch(() => undefined);
  const l = llama;
  llama = null;
  if (l) await l.then((x) => x.dispose()).catch(() => undefined);
}

export type { Llama, LlamaModel };
