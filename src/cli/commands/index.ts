/**
 * The command registry: each command is one file exporting `register`.
 * Adding a command means one file plus one line here.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { register as run } from './run.js';
import { register as catalog } from './catalog.js';
import { register as scenario } from './scenario.js';
import { register as report } from './report.js';
import { register as importCommand } from './import.js';
import { register as exportCommand } from './export.js';
import { register as analyze } from './analyze.js';
import { register as compare } from './compare.js';
import { register as calibrate } from './calibrate.js';
import { register as fork } from './fork.js';
import { register as replay } from './replay.js';
import { register as play } from './play.js';
import { register as paper } from './paper.js';
import { register as injection } from './injection.js';
import { register as worker } from './worker.js';
import { register as queue } from './queue.js';

export const COMMANDS: ReadonlyArray<(program: Command, cli: Cli) => void> = [run, catalog, scenario, report, importCommand, exportCommand, analyze, compare, calibrate, paper, fork, injection, replay, play, worker, queue];
