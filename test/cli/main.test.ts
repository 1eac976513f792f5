/**
 * The CLI entry: `main(argv, io)` in-process writes only through its io and
 * resolves to the exit code; the installed bin drives the real process with
 * it (spawned here because the process is the point: its exit code).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import { hotmess } from '../helpers/cli.js';

describe('main(argv, io)', () => {
  it('writes help, version and errors to its io, not the process, and returns the exit code', async () => {
    const writes: string[] = [];
    const io: CliIO = { stdout: { write: (s: string) => writes.push(`out:${s}`) }, stderr: { write: (s: string) => writes.push(`err:${s}`) }, exit: () => {}, isTTY: { stdin: false, stdout: false, stderr: false } };
    expect(await main(['--version'], io)).toBe(0);
    expect(writes).toEqual(['out:0.1.0\n']);
    writes.length = 0;
    expect(await main(['analyze', '/nonexistent/run'], io)).toBe(4);
    expect(writes).toEqual(['err:hotmess: /nonexistent/run: not a run directory (does not exist)\n']);
    const help = await hotmess('run', '--help');
    expect([help.status, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^Usage: hotmess run \[options\] \[scenario\]/);
    const usage = await hotmess('frob');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("hotmess: unknown command 'frob'\n(Did you mean fork?) (see --help)\n");
  });

  it('two invocations at once keep their outputs apart', async () => {
    const [a, b] = await Promise.all([hotmess('envs', '--json'), hotmess('agents', '--json')]);
    expect(JSON.parse(a.stdout).map((e: { name: string }) => e.name)).toContain('maze');
    expect(JSON.parse(b.stdout).map((e: { kind: string }) => e.kind)).toContain('oracle');
  });
});

describe('integer flags', () => {
  it('are read by one rule (digits only, within range) and named in one message, before any work', async () => {
    const cases: [string[], string][] = [
      [['analyze', '/nonexistent/run', '--buckets', '1e3'], '--buckets: expected an integer ≥ 1, got "1e3"'],
      [['play', 'maze', '--horizon', 'x'], '--horizon: expected an integer ≥ 1, got "x"'],
      [['replay', '/nonexistent/run', '--rollout', '-1'], '--rollout: expected an integer ≥ 0, got "-1"'],
      [['fork', '/nonexistent/run', '--rollout', 'a:1:0:0', '--step', '2.5', '--samples', '1'], '--step: expected an integer ≥ 0, got "2.5"'],
      // Counts say "a positive integer" (one range, POSITIVE), through the same parser.
      [['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', '0'], '--concurrency: expected a positive integer, got "0"'],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--lock-ms', '1e3'], '--lock-ms: expected a positive integer, got "1e3"'],
      [['scenario', 'tune', 'scenarios/maze-sweep.yaml', '--agent', 'noisy-10', '--per-probe', '1.5'], '--per-probe: expected a positive integer, got "1.5"'],
    ];
    for (const [args, message] of cases) {
      const r = await hotmess(...args);
      expect([r.status, r.stderr], args.join(' ')).toEqual([2, `hotmess: ${message}\n`]);
    }
  });
});

describe('JSON-object flags', () => {
  it('play and envs check read --params by one rule, and envs check --horizons by the integer rule', async () => {
    const cases: [string[], string | RegExp][] = [
      [['play', 'maze', '--params', '[1]'], 'hotmess: --params: expected a JSON object, e.g. {"dictSize": 16}\n'],
      [['envs', 'check', 'maze', '--params', '[1]'], 'hotmess: --params: expected a JSON object, e.g. {"dictSize": 16}\n'],
      [['play', 'maze', '--params', '{x'], /^hotmess: --params: not JSON: .+\n$/],
      [['envs', 'check', 'maze', '--params', '{x'], /^hotmess: --params: not JSON: .+\n$/],
      [['envs', 'check', 'maze', '--horizons', '3,1e3'], 'hotmess: --horizons: "1e3" is not a positive integer\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await hotmess(...args);
      expect(r.status, args.join(' ')).toBe(2);
      if (typeof stderr === 'string') expect(r.stderr, args.join(' ')).toBe(stderr);
      else expect(r.stderr, args.join(' ')).toMatch(stderr);
    }
  });
});

describe('the installed bin (bin/hotmess.js), a real process', () => {
  it('exits with the error code and one line on stderr', () => {
    const r = spawnSync(process.execPath, ['bin/hotmess.js', 'analyze', '/nonexistent/run'], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([4, '', 'hotmess: /nonexistent/run: not a run directory (does not exist)\n']);
  });
});
