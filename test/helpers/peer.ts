/**
 * Which process holds the client end of a TCP connection on this machine
 * (Linux /proc): a test server asks it to tell worker processes from the
 * main process.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The pid whose socket has local port `port` on 127.0.0.1, or null. */
export function pidOfLocalPort(port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && parseInt(cols[1].split(':')[1], 16) === port) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(pid);
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  return null;
}
