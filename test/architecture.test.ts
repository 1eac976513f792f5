/**
 * The layering the README promises, checked on the source: each layer
 * imports only from the layers below it, plugins import only the core (and
 * the model-agent kit), nothing imports deep into another folder, and there
 * is no Math.random anywhere randomness matters.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();

/** Which top-level folders each layer may import from (itself always allowed). */
const ALLOWED: Record<string, string[]> = {
  'src/core': [],
  'src/llm': ['src/core'],
  'src/log': ['src/core'],
  'src/engine': ['src/core', 'src/log'],
  'src/import': ['src/core', 'src/log'],
  // The queue carries model-backed rollouts: a coordinator applies its workers' calls to the run's ledger and cache (queue/calls.ts) as they are paid.
  'src/queue': ['src/core', 'src/log', 'src/engine', 'src/llm'],
  'src/metrics': ['src/core'],
  'src/analysis': ['src/core', 'src/log', 'src/metrics'],
  // Workflows compose the layers below into one task (calibrate, tune): analysis never runs the engine.
  'src/workflows': ['src/core', 'src/log', 'src/engine', 'src/llm', 'src/metrics', 'src/analysis'],
  'src/report': ['src/core', 'src/log', 'src/analysis'],
  // Exports read a run directory and its analysis, and share the Inspect format's lossless block with the importer; they run nothing (no engine).
  'src/export': ['src/core', 'src/log', 'src/import', 'src/analysis'],
  // The play screen drives the play workflow (workflows/play.ts); the TUI only draws and reads keys.
  'src/tui': ['src/core', 'src/log', 'src/engine', 'src/metrics', 'src/analysis', 'src/workflows'],
  'src/cli': ['src/workflows', 'src/core', 'src/log', 'src/engine', 'src/llm', 'src/queue', 'src/import', 'src/export', 'src/metrics', 'src/analysis', 'src/report', 'src/tui', 'environments', 'agents'],
  environments: ['src/core'],
  agents: ['src/core', 'src/llm'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

const layerOf = (file: string): string | null => {
  const rel = relative(ROOT, file).split('\\').join('/');
  const parts = rel.split('/');
  if (parts[0] === 'src') return `src/${parts[1]}`;
  if (parts[0] === 'environments' || parts[0] === 'agents') return parts[0];
  return null;
};

// `import … from`, `export … from`, a bare `import 'x'` (for its effects) and `import('x')`.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec));
  }
  return out;
}

// What loading a module loads with it: `import … from`, `export … from` and bare imports, not `import type` or `import()`.
const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

/** The source files and packages reached from `entry` through static imports. */
function staticClosure(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const sourceOf = (path: string): string => [path.replace(/\.js$/, '.ts'), path.replace(/\.js$/, '.tsx'), path, join(path, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile())!;
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    modules.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(sourceOf(resolve(dirname(file), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(entry);
  return { modules, packages };
}

const sources = ['src', 'environments', 'agents'].flatMap((d) => files(join(ROOT, d)));

describe('architecture', () => {
  it('imports only run down the layers', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to === null || to === from) continue;
        if (!(ALLOWED[from] ?? []).includes(to)) violations.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('enters another folder (src/*, agents, environments) only through its index (its front door)', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to === null || to === from) continue;
        if (!/\/index\.js$/.test(target)) violations.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycles between layers', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of sources) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycle: string[] = [];
    const visit = (n: string, path: string[]): void => {
      if (done.has(n)) return;
      if (visiting.has(n)) {
        cycle.push([...path, n].join(' → '));
        return;
      }
      visiting.add(n);
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
      visiting.delete(n);
      done.add(n);
    };
    for (const n of edges.keys()) visit(n, []);
    expect(cycle).toEqual([]);
  });

  it('reads files line by line only through src/log (importers of foreign formats aside)', () => {
    // Splitting a file into lines, or a read buffer of one's own, belongs to log/lines.ts.
    const OWN_READER = /createReadStream\s*\(|createInterface\s*\(|readSync\s*\(|allocUnsafe\s*\(|\.read\s*\(\s*buf/;
    const offenders = sources.filter((f) => {
      const layer = layerOf(f);
      return layer !== 'src/log' && layer !== 'src/import' && OWN_READER.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ''));
    });
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('derives rollout seeds only in src/engine/seeds.ts (everything else asks it)', () => {
    // A second derivation of (base, 'env' | 'agent', …) would drift from the runner's the day one of them changes.
    const DERIVES = /deriveSeed\([^)]*?,\s*['"](env|agent)['"]|function\s+rolloutSeeds\b/;
    const own = join(ROOT, 'src/engine/seeds.ts');
    const offenders = [...sources, ...files(join(ROOT, 'bench'))].filter((f) => f !== own && DERIVES.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('starts the CLI without the report layer, the TUI or the queue: commands that need them import them when they run', () => {
    // Every spawned CLI and every test file that imports main pays for what main loads statically:
    // vega and resvg, ink and BullMQ cost more than the rest of the CLI together.
    const { modules, packages } = staticClosure(join(ROOT, 'src/cli/main.ts'));
    expect(modules.size).toBeGreaterThan(50);
    expect([...modules].filter((f) => ['src/report', 'src/tui', 'src/queue'].includes(layerOf(f) ?? '')).map((f) => relative(ROOT, f))).toEqual([]);
    expect([...packages].filter((p) => /^(vega|vega-lite|@resvg\/resvg-js|ink|react|bullmq|ioredis)$/.test(p))).toEqual([]);
  });

  it('never uses Math.random where randomness must be seeded', () => {
    const offenders = sources.filter((f) => /Math\.random\s*\(/.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
