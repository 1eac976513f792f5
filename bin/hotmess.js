#!/usr/bin/env node
// Installed entry point: registers tsx's loader in this process and runs the
// TypeScript CLI. One process, so Ctrl-C and kill reach the CLI directly.
import { register } from 'tsx/esm/api';

register();
const { runAsProcess } = await import('../src/cli/main.ts');
await runAsProcess();
