/**
 * Every hint, --help example and "next:" line is a command the user can
 * paste: `npm run -s hotmess -- …` from a clone (npm, or no bin on PATH),
 * `hotmess …` when a hotmess bin is on PATH.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hotmessCommand, setCommandPrefix } from '../../src/core/index.js';
import { cliInvocation } from '../../src/cli/output.js';
import { hotmess } from '../helpers/cli.js';

afterEach(() => setCommandPrefix('npm run -s hotmess --'));

describe('paste-able hints', () => {
  it('names the CLI as npm run from a clone, and hotmess when the bin is on PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'hotmess-bin-'));
    expect(cliInvocation({ PATH: bin })).toBe('npm run -s hotmess --');
    writeFileSync(join(bin, 'hotmess'), '#!/bin/sh\n');
    chmodSync(join(bin, 'hotmess'), 0o755);
    expect(cliInvocation({ PATH: `/nonexistent:${bin}` })).toBe('hotmess');
    // Through `npm run hotmess` the npm form is what the user typed.
    expect(cliInvocation({ PATH: bin, npm_lifecycle_event: 'hotmess' })).toBe('npm run -s hotmess --');
    setCommandPrefix('hotmess');
    expect(hotmessCommand('analyze runs/x')).toBe('hotmess analyze runs/x');
  });

  it('puts the pasteable form in every --help example', async () => {
    for (const cmd of ['play', 'replay', 'compare', 'export inspect', 'import tau-bench', 'import jsonl', 'import inspect']) {
      const r = await hotmess(...cmd.split(' '), '--help');
      const examples = r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l) && r.stdout.indexOf('Example') < r.stdout.indexOf(l) && !l.startsWith('  inspect view'));
      expect(examples.length, `${cmd} --help has examples`).toBeGreaterThan(0);
      for (const l of examples) expect(l, `${cmd}: ${l}`).toMatch(/^ {2}npm run -s hotmess -- /);
    }
  });
});
