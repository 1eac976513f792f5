/**
 * The test Messages server in a process of its own, so that a test can
 * stall it for real: after answering request `STALL_AFTER`, it stops itself
 * (SIGSTOP) for `STALL_MS`, as a loaded machine can deschedule a server.
 * A request that reaches a kept-alive connection meanwhile waits unread in
 * the kernel; when the server runs again, the connection's idle timer
 * (`KEEP_ALIVE_MS`) fires before the request is read, and the connection is
 * reset with the request unread. Prints `url <url>` once listening and
 * `request <n>` for each request it reads (what it would bill).
 *
 * Run: node --import tsx test/llm/stalling-server.ts (env: HOTMESS_TEST_ANTHROPIC_KEY, STALL_AFTER, STALL_MS, KEEP_ALIVE_MS).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { kvSumAnswer, message, startMessagesServer } from './server.js';

const stallAfter = Number(process.env.STALL_AFTER ?? 0);
const stallMs = Number(process.env.STALL_MS ?? 0);
const server = await startMessagesServer(
  process.env.HOTMESS_TEST_ANTHROPIC_KEY ?? '',
  (r) => {
    process.stdout.write(`request ${r.n}\n`);
    // Once this reply is written (setImmediate: after this turn's writes), stop until a helper process continues us.
    if (r.n === stallAfter && stallMs > 0) {
      setImmediate(() => {
        spawn('sh', ['-c', `sleep ${stallMs / 1000}; kill -CONT ${process.pid}`], { detached: true, stdio: 'ignore' }).unref();
        process.kill(process.pid, 'SIGSTOP');
      });
    }
    const n = createHash('sha256').update(JSON.stringify(r.body)).digest().readUInt32LE(0) % 1_000_000;
    return message(n, { input: { action: kvSumAnswer(r.body) } });
  },
  { keepAliveMs: Number(process.env.KEEP_ALIVE_MS ?? 5000) },
);
process.stdout.write(`url ${server.url}\n`);
