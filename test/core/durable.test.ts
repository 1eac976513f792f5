import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, openSync, closeSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OsError, appendAll, fromOsError, writeAll, writeFileAtomic, EXIT_CODES } from '../../src/core/index.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

let fs: Tmpfs | null = null;
afterEach(() => {
  fs?.unmount();
  fs = null;
});

describe('checked writes on a real full disk', () => {
  it('plain writeSync returns a short count on ENOSPC without throwing (why writeAll exists)', () => {
    fs = mountTmpfs('2m');
    const fd = openSync(join(fs.dir, 'f'), 'a');
    const counts: number[] = [];
    try {
      for (let i = 0; i < 3; i++) counts.push(writeSync(fd, 'x'.repeat(900_000)));
    } finally {
      closeSync(fd);
    }
    expect(counts[2]).toBeLessThan(900_000);
  });

  it('writeAll throws an OsError (exit 4) instead of writing part of the buffer silently', () => {
    fs = mountTmpfs('2m');
    const path = join(fs.dir, 'steps.jsonl');
    const fd = openSync(path, 'a');
    let err: unknown;
    try {
      for (let i = 0; i < 3; i++) writeAll(fd, 'y'.repeat(900_000), path);
    } catch (e) {
      err = e;
    } finally {
      closeSync(fd);
    }
    expect(err).toBeInstanceOf(OsError);
    const os = err as OsError;
    expect(os.errno).toBe('ENOSPC');
    expect(os.exitCode).toBe(EXIT_CODES.log);
    expect(os.resumable).toBe(true);
    expect(os.message).toBe(`${path}: could not write: no space left on device (ENOSPC)`);
    expect(statSync(path).size).toBe(2 * 1024 * 1024);
  });

  it('writeAll of bytes (Uint8Array) fails the same way', () => {
    fs = mountTmpfs('2m');
    const path = join(fs.dir, 'b');
    expect(() => appendAll(path, new Uint8Array(3 * 1024 * 1024))).toThrow(/ENOSPC/);
  });

  it('writeFileAtomic on a full disk leaves the old file whole and no temp file behind', () => {
    fs = mountTmpfs('2m');
    const path = join(fs.dir, 'manifest.json');
    writeFileAtomic(path, '{"status":"running"}\n');
    writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(2 * 1024 * 1024 - 8192));
    expect(() => writeFileAtomic(path, 'z'.repeat(100_000))).toThrow(OsError);
    expect(readFileSync(path, 'utf8')).toBe('{"status":"running"}\n');
    expect(readdirSync(fs.dir).sort()).toEqual(['filler', 'manifest.json']);
  });

  it('a read-only mount is one line, exit 4, not resumable', () => {
    fs = mountTmpfs('2m');
    fs.remount('ro');
    const path = join(fs.dir, 'analysis.json');
    let err: unknown;
    try {
      writeFileAtomic(path, '{}');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OsError);
    expect((err as OsError).errno).toBe('EROFS');
    expect((err as OsError).resumable).toBe(false);
    expect(existsSync(path)).toBe(false);
  });
});

describe('fromOsError', () => {
  it('maps a path under a file (ENOTDIR) to a usage error naming the path', () => {
    const e = fromOsError(Object.assign(new Error('x'), { code: 'ENOTDIR', path: '/a/file/run' }), '/ignored', 'create the run directory');
    expect(e).toBeInstanceOf(OsError);
    expect((e as OsError).message).toBe('/a/file/run: could not create the run directory: a parent of this path is a file, not a directory (ENOTDIR)');
    expect((e as OsError).exitCode).toBe(EXIT_CODES.usage);
  });
  it('leaves unknown errors alone', () => {
    const plain = new Error('boom');
    expect(fromOsError(plain, '/p', 'write')).toBe(plain);
  });
});
