/**
 * A plain connection to the queue's Redis for result blobs, and nothing
 * else: SET from a worker, GET and DEL from the coordinator. ioredis copies
 * a command's arguments into one new buffer before writing it, and its
 * parser copies a large reply out of the socket's chunks into a pooled
 * buffer three times its size; at about 2.8 MB a job, those copies, and the
 * garbage collections their allocations set off, cost the coordinator more
 * CPU than writing the logs. This link hands the blob to the socket as it
 * is (the kernel copies it), and reads a reply's bytes from the socket
 * straight into one buffer of the reply's size.
 *
 * It speaks the part of RESP2 those commands need (simple strings, errors,
 * integers, bulk strings), and AUTH and SELECT from the queue's URL. BullMQ
 * and everything else keep ioredis. A command that meets a lost connection
 * is sent again on a new one (each is idempotent) until `graceMs` has
 * passed, as ioredis rides out a restart of the server.
 */
import { connect, type Socket } from 'node:net';
import { HotmessError } from '../core/index.js';
import { lostConnection, type QueueUrl } from './redis.js';

type Reply = string | number | Buffer | null;

interface Pending {
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: Error) => void;
  readonly into?: (size: number) => Buffer;
}

/** A reply that says no (`-ERR …`), or one that is not RESP: not a connection fault, so never sent again. */
class Final extends Error {}

/**
 * A server that cannot answer yet (`-LOADING` while it reads its dataset
 * back after a restart, `-TRYAGAIN`, `-MASTERDOWN`): the command is sent
 * again on the same connection until `graceMs` has passed, as ioredis waits.
 */
class NotYet extends Error {}
const NOT_YET = /^(LOADING|TRYAGAIN|MASTERDOWN)\b/;

const CRLF = Buffer.from('\r\n');
/** Reads outside a bulk reply go here; a bulk reply's bytes go to its own buffer. */
const SCRATCH_BYTES = 64 * 1024;

/** One connection and the replies it owes, in order. */
class Connection {
  private readonly socket: Socket;
  private readonly pending: Pending[] = [];
  private readonly scratch = Buffer.alloc(SCRATCH_BYTES);
  /** The header line read so far (`$123`, `+OK`, …), without its CRLF. */
  private head = '';
  /** The bulk reply being read: its buffer (with room for the closing CRLF) and how much of it is filled. */
  private bulk: { buf: Buffer; filled: number } | null = null;
  private failure: Error | null = null;
  readonly ready: Promise<void>;

  constructor(q: QueueUrl) {
    const o = q.options;
    this.socket = connect({
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 6379,
      noDelay: true,
      // Straight into the bulk reply's buffer when one is being read, else into scratch.
      onread: { buffer: () => (this.bulk ? this.bulk.buf.subarray(this.bulk.filled) : this.scratch), callback: (n, buf) => this.onRead(n, buf as Buffer) },
    });
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
    const hello: Promise<Reply>[] = [];
    if (o.password) hello.push(this.send(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password]));
    if (o.db) hello.push(this.send(['SELECT', String(o.db)]));
    this.ready = Promise.all(hello).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  /** Send one command; Buffer arguments go to the socket as they are. `into`: where a bulk reply goes. */
  send(args: readonly (string | Buffer)[], into?: (size: number) => Buffer): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ resolve, reject, into });
      this.socket.cork();
      let text = `*${args.length}\r\n`;
      for (const a of args) {
        if (typeof a === 'string') text += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
        else {
          this.socket.write(text + `$${a.length}\r\n`);
          this.socket.write(a);
          text = '\r\n';
        }
      }
      this.socket.write(text);
      this.socket.uncork();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
    this.bulk = null;
    this.socket.destroy();
  }

  private onRead(n: number, buf: Buffer): boolean {
    if (this.bulk && buf !== this.scratch) {
      this.bulk.filled += n;
      this.endBulk();
      return true;
    }
    let at = 0;
    while (at < n && !this.failure) {
      if (this.bulk) {
        // The start of a bulk reply arrived with its header: copy it over; the rest is read straight into it.
        const take = Math.min(n - at, this.bulk.buf.length - this.bulk.filled);
        buf.copy(this.bulk.buf, this.bulk.filled, at, at + take);
        this.bulk.filled += take;
        at += take;
        this.endBulk();
        continue;
      }
      const lf = buf.indexOf(10, at);
      if (lf < 0 || lf >= n) {
        this.head += buf.toString('latin1', at, n);
        break;
      }
      this.head += buf.toString('latin1', at, lf);
      at = lf + 1;
      this.onHead(this.head.endsWith('\r') ? this.head.slice(0, -1) : this.head);
      this.head = '';
    }
    return true;
  }

  private onHead(line: string): void {
    const rest = line.slice(1);
    switch (line[0]) {
      case '+':
        return this.settle(rest);
      case ':':
        return this.settle(Number(rest));
      case '-':
        return this.settle(NOT_YET.test(rest) ? new NotYet(rest) : new Final(rest));
      case '$': {
        const size = Number(rest);
        if (size < 0) return this.settle(null);
        if (!Number.isSafeInteger(size)) break;
        const into = this.pending[0]?.into;
        this.bulk = { buf: into ? into(size + 2).subarray(0, size + 2) : Buffer.alloc(size + 2), filled: 0 };
        return this.endBulk();
      }
    }
    this.fail(new Final(`not a Redis reply: ${JSON.stringify(line.slice(0, 40))}`));
  }

  private endBulk(): void {
    const b = this.bulk!;
    if (b.filled < b.buf.length) return;
    this.bulk = null;
    if (b.buf[b.buf.length - 2] !== CRLF[0] || b.buf[b.buf.length - 1] !== CRLF[1]) return this.fail(new Final('not a Redis reply: a bulk string without its CRLF'));
    this.settle(b.buf.subarray(0, b.buf.length - 2));
  }

  private settle(r: Reply | Error): void {
    const p = this.pending.shift();
    if (!p) return this.fail(new Final('not a Redis reply: an answer no command asked for'));
    if (r instanceof Error) p.reject(r);
    else p.resolve(r);
  }
}

export class BlobLink {
  private conn: Connection | null = null;
  private closed = false;
  constructor(
    private readonly url: QueueUrl,
    private readonly graceMs = 5000,
  ) {}

  /** Store `blob` under `key` for `ttlSeconds`. The caller keeps `blob` unchanged until this settles. */
  async set(key: string, blob: Buffer, ttlSeconds: number): Promise<void> {
    await this.command(['SET', key, blob, 'EX', String(ttlSeconds)]);
  }

  /**
   * The blob under `key`, or null if there is none. It is read into a new
   * buffer, or into `into(size)` (at least `size` bytes) when given.
   */
  async get(key: string, into?: (size: number) => Buffer): Promise<Buffer | null> {
    const r = await this.command(['GET', key], into);
    if (r !== null && !Buffer.isBuffer(r)) throw new Error(`GET ${key}: not a string value`);
    return r;
  }

  async del(key: string): Promise<void> {
    await this.command(['DEL', key]);
  }

  close(): void {
    this.closed = true;
    this.conn?.close();
    this.conn = null;
  }

  /** Send a command, on a new connection if the last one broke, until it is answered or `graceMs` has passed. */
  private async command(args: readonly (string | Buffer)[], into?: (size: number) => Buffer): Promise<Reply> {
    const until = Date.now() + this.graceMs;
    for (;;) {
      if (this.closed) throw new Error(`${this.url.shown}: the result link is closed`);
      if (!this.conn || this.conn.broken) this.conn = new Connection(this.url);
      const conn = this.conn;
      try {
        await conn.ready;
        return await conn.send(args, into);
      } catch (e) {
        if (e instanceof Final) throw new HotmessError('network', `${this.url.shown}: ${e.message}`);
        if (e instanceof NotYet) {
          if (Date.now() >= until) throw new HotmessError('network', `${this.url.shown}: the server did not become ready within ${this.graceMs / 1000} s (${e.message})`);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (Date.now() >= until) throw lostConnection(this.url, e);
        conn.close();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

/**
 * Buffers to read blobs into, used again once their bytes are written: a
 * job's megabytes are not allocated, and collected, afresh. A few at most
 * are kept.
 */
export class ReusedBuffers {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 4) {}
  /** A buffer of at least `size` bytes: a free one, or a new one with room to spare. */
  take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0];
    return Buffer.alloc(Math.ceil(size * 1.25));
  }
  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }
}
