#!/usr/bin/env node
/**
 * `npm test`: the typecheck and the test suite side by side, not one after
 * the other. The suite spends part of its time waiting on child processes
 * and servers, and the typecheck (one core, ~20 s) fills that time. The
 * suite keeps the terminal; the typecheck's output is printed after it.
 * Exits non-zero if either fails. Arguments go to vitest
 * (`npm test -- test/log`).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Resolves to the exit code (a signal counts as a failure). */
const exitOf = (child) => new Promise((resolve) => child.once('close', (code) => resolve(code ?? 1)));

let typecheckOutput = '';
const typecheck = spawn(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
for (const stream of [typecheck.stdout, typecheck.stderr]) stream.on('data', (d) => (typecheckOutput += d));
const suite = spawn(bin('vitest'), ['run', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });

const [typecheckCode, suiteCode] = await Promise.all([exitOf(typecheck), exitOf(suite)]);
process.stdout.write(typecheckOutput);
process.stdout.write(typecheckCode === 0 ? 'typecheck: no errors\n' : `typecheck: failed (tsc exit code ${typecheckCode})\n`);
process.exitCode = typecheckCode !== 0 ? typecheckCode : suiteCode;
