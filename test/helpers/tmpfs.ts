/**
 * A small real tmpfs for disk-fault tests (the suite runs as root): a full
 * disk is a full disk, a read-only mount refuses even root. Always unmount
 * in a `finally`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-dir.js';

export interface Tmpfs {
  readonly dir: string;
  /** Change the size (e.g. '64m') or mode ('ro', 'rw') without losing the files. */
  remount(options: string): void;
  unmount(): void;
}

export function mountTmpfs(size = '2m'): Tmpfs {
  const dir = join(tempDir('hotmess-tmpfs-'), 'mnt');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remount(options) {
      execFileSync('mount', ['-o', `remount,${options}`, dir]);
    },
    unmount() {
      if (mounted) execFileSync('umount', [dir]);
      mounted = false;
    },
  };
}
