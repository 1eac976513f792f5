/**
 * A bench's test server in a child process (the bench file itself, started
 * with --serve), talking over IPC: the server's CPU stays off the core whose
 * per-step cost the bench measures. The child sends `{ url }` once it
 * listens and `{ count }` (requests served) when asked; `ask` sends other
 * questions a bench's child answers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RemoteServer {
  readonly url: string;
  count(): Promise<number>;
  /** Send `what` to the child and wait for its next message. */
  ask<T>(what: string): Promise<T>;
  close(): void;
}

/** Start `moduleUrl` (a bench's import.meta.url) with --serve and wait for its URL. */
export async function remoteServer(moduleUrl: string): Promise<RemoteServer> {
  const child: ChildProcess = fork(fileURLToPath(moduleUrl), ['--serve'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<{ url?: string; count?: number }>((resolve) => child.once('message', (m) => resolve(m as { url?: string; count?: number })));
  const { url } = await next();
  return {
    url: url!,
    async count() {
      const reply = next();
      child.send('count');
      return (await reply).count!;
    },
    async ask<T>(what: string) {
      const reply = next();
      child.send(what);
      return (await reply) as T;
    },
    close: () => child.kill(),
  };
}
