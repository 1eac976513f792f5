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
 * Run: node --import tsx test/llm/stalling-server.ts (env: STALL_AFTER, STALL_MS, KEEP_ALIVE_MS; API=openai for an
 * OpenAI-compatible server keyed by HOTMESS_TEST_OPENAI_KEY, else the Messages API keyed by HOTMESS_TEST_ANTHROPIC_KEY).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chatKvAnswer, completion, startChatServer } from './openai-server.js';
import { kvSumAnswer, message, startMessagesServer } from './server.js';

const stallAfter = Number(process.env.STALL_AFTER ?? 0);
const stallMs = Number(process.env.STALL_MS ?? 0);
const keepAliveMs = Number(process.env.KEEP_ALIVE_MS ?? 5000);

/** Log the request; after the one to stall at, once its reply is written (setImmediate: after this turn's writes), stop until a helper process continues us. */
function seen(n: number): void {
  process.stdout.write(`request ${n}\n`);
  if (n !== stallAfter || stallMs <= 0) return;
  setImmediate(() => {
    spawn('sh', ['-c', `sleep ${stallMs / 1000}; kill -CONT ${process.pid}`], { detached: true, stdio: 'ignore' }).unref();
    process.kill(process.pid, 'SIGSTOP');
  });
}

// API=openai: an OpenAI-compatible chat server (key HOTMESS_TEST_OPENAI_KEY); else the Messages API.
const server =
  process.env.API === 'openai'
    ? await startChatServer(
        process.env.HOTMESS_TEST_OPENAI_KEY ?? '',
        (r) => {
          seen(r.n);
          return completion(r.body.model, [{ args: JSON.stringify({ action: chatKvAnswer(r.body) }) }]);
        },
        { keepAliveMs },
      )
    : await startMessagesServer(
        process.env.HOTMESS_TEST_ANTHROPIC_KEY ?? '',
        (r) => {
          seen(r.n);
          const n = createHash('sha256').update(JSON.stringify(r.body)).digest().readUInt32LE(0) % 1_000_000;
          return message(n, { input: { action: kvSumAnswer(r.body) } });
        },
        { keepAliveMs },
      );
process.stdout.write(`url ${server.url}\n`);
