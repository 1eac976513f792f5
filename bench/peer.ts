/**
 * The step-rate peer: Gymnasium 1.x FrozenLake 8×8 through `gym.make`, a
 * random agent, no logging (../shared/peers/gym_peer.py, see its README),
 * in steps per CPU-second like hotmess's `bench <env> engine=`.
 *
 * `peerRate()` runs it once and returns the FrozenLake rate, or the reason
 * it cannot run (no python3, no peers folder, the script failed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the peer's sources live: ../shared/peers beside the project. */
export const PEERS_DIR = resolve(process.env.HOTMESS_PEERS ?? join(process.cwd(), '..', 'shared', 'peers'));

/** Wall seconds per Gymnasium environment; the rate is per CPU-second, so a busy machine only makes it noisier. */
const SECONDS = Number(process.env.BENCH_PEER_SECONDS ?? 2);

export type PeerResult = { readonly rate: number } | { readonly skipped: string };

export function peerRate(): PeerResult {
  const script = join(PEERS_DIR, 'gym_peer.py');
  if (!existsSync(script)) return { skipped: `${script} not found` };
  const r = spawnSync('python3', [script, String(SECONDS)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: PEERS_DIR }, timeout: 120_000 });
  if (r.error) return { skipped: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'python3 not found' : `python3: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `gym_peer.py exited ${r.status}: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}` };
  const m = /FrozenLake-v\d+ .*steps_per_cpu_s=(\d+)/.exec(r.stdout);
  if (!m) return { skipped: `gym_peer.py printed no FrozenLake rate` };
  return { rate: Number(m[1]) };
}

/** The `bench peer` line from the peer measured before and after hotmess's maze (their mean). */
export function peerLine(before: PeerResult, maze: number, after: PeerResult): string {
  if ('skipped' in before) return `bench peer skipped (${before.skipped})\n`;
  if ('skipped' in after) return `bench peer skipped (${after.skipped})\n`;
  const gym = (before.rate + after.rate) / 2;
  return `bench peer gymnasium=${gym.toFixed(0)} maze=${maze.toFixed(0)} ratio=${(maze / gym).toFixed(2)}\n`;
}
