// The control socket: a Unix socket speaking BIRD 1.6's CLI protocol so that birdc/birdcl, calicoctl
// and calico-node's probes work unchanged. It owns the listening socket and its clients only; answers
// come from the status source's snapshots. A client never holds up the daemon: replies are written in
// bounded chunks with a turn of the event loop between them, a client whose socket does not drain
// within the stall timeout is dropped (OpenBGPD control.c throttles slow readers the same way), and
// garbage (control bytes, endless lines, command floods) closes that client only.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { answer } from './answer.js';
import { parseCommand } from './commands.js';
import { Code, GREETING, ReplyEncoder, type Printed, type ReplyLine } from './reply.js';
import { familyView, type Family } from './family.js';
import type { StatusSource } from './status.js';
import type { TraceLog } from './trace.js';

export interface ControlLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

export interface ControlServerOptions {
  /** Socket path; calico-node's is /var/run/calico/bird.ctl. */
  path: string;
  source: StatusSource;
  trace?: TraceLog | null;
  /** File mode of the socket (BIRD's is 0660 in calico-node). */
  mode?: number;
  /** Serve one address family only (a second socket, bird6.ctl, for IPv6 peers as calico-node had). */
  family?: Family | null;
  /** Clients beyond this are refused. */
  maxClients?: number;
  /** A client whose reply does not drain for this long is dropped. */
  stallTimeoutMs?: number;
  /** Reply bytes written per event-loop turn. */
  chunkBytes?: number;
  log?: ControlLog;
  now?: () => number;
}

/** BIRD's CLI line limit (nest/cli.h CLI_LINE_SIZE): longer commands get 9000. */
const MAX_COMMAND = 512;
/** Bytes without a newline, or queued commands, beyond which a client is talking garbage. */
const MAX_PENDING_BYTES = 16 * 1024;
const MAX_QUEUED = 64;
// Printable text, tab and CR/LF; anything else is not a command.
// eslint-disable-next-line no-control-regex
const GARBAGE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

const silent: ControlLog = { debug() {}, warn() {} };

export class ControlServer {
  readonly path: string;
  readonly #server: net.Server;
  readonly #clients = new Set<ControlClient>();
  readonly #opts: Required<Omit<ControlServerOptions, 'trace' | 'family' | 'mode'>> & { trace: TraceLog | null };

  private constructor(server: net.Server, opts: ControlServerOptions) {
    this.#server = server;
    this.path = opts.path;
    this.#opts = {
      path: opts.path,
      source: opts.family ? familyView(opts.source, opts.family) : opts.source,
      trace: opts.trace ?? null,
      maxClients: opts.maxClients ?? 1024,
      stallTimeoutMs: opts.stallTimeoutMs ?? 30_000,
      chunkBytes: opts.chunkBytes ?? 64 * 1024,
      log: opts.log ?? silent,
      now: opts.now ?? Date.now,
    };
    server.on('connection', (sock) => this.#accept(sock));
  }

  /** Listen on the path (a stale socket there is replaced, anything else is an error). */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    await removeStaleSocket(opts.path);
    mkdirSync(dirname(opts.path), { recursive: true });
    const server = net.createServer({ allowHalfOpen: false });
    const cs = new ControlServer(server, opts);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`control socket ${opts.path}: ${err.message}`)));
      server.listen(opts.path, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => cs.#opts.log.warn({ err: err.message }, 'control socket error'));
    chmodSync(opts.path, opts.mode ?? 0o660);
    return cs;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  async close(): Promise<void> {
    for (const c of this.#clients) c.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  #accept(sock: net.Socket): void {
    if (this.#clients.size >= this.#opts.maxClients) {
      this.#opts.log.warn({ clients: this.#clients.size }, 'control socket: too many clients, refusing one');
      sock.destroy();
      return;
    }
    const client = new ControlClient(sock, this.#opts, () => this.#clients.delete(client));
    this.#clients.add(client);
  }
}

/** A socket left by a dead daemon is replaced; one a live daemon answers on is not taken over. */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`control socket path ${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`control socket ${path} is in use by a running daemon`);
  unlinkSync(path);
}

interface ClientOptions {
  source: StatusSource;
  trace: TraceLog | null;
  stallTimeoutMs: number;
  chunkBytes: number;
  log: ControlLog;
  now: () => number;
}

class ControlClient {
  readonly #sock: net.Socket;
  readonly #opts: ClientOptions;
  readonly #enc = new ReplyEncoder();
  #pending = '';
  readonly #queue: string[] = [];
  #busy = false;
  #closed = false;

  constructor(sock: net.Socket, opts: ClientOptions, onClose: () => void) {
    this.#sock = sock;
    this.#opts = opts;
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => this.#onData(d));
    sock.on('error', () => this.destroy());
    sock.on('close', () => {
      this.#closed = true;
      onClose();
    });
    sock.write(GREETING);
  }

  destroy(): void {
    this.#closed = true;
    this.#sock.destroy();
  }

  #onData(data: string): void {
    if (this.#closed) return;
    if (GARBAGE.test(data)) return this.#drop('control bytes');
    this.#pending += data;
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) >= 0) {
      const line = this.#pending.slice(0, nl).replace(/\r$/, '');
      this.#pending = this.#pending.slice(nl + 1);
      if (line.trim() !== '') this.#queue.push(line);
    }
    if (this.#pending.length > MAX_PENDING_BYTES) return this.#drop('line without end');
    if (this.#queue.length > MAX_QUEUED) return this.#drop('too many queued commands');
    void this.#pump();
  }

  #drop(why: string): void {
    this.#opts.log.debug({ why }, 'control socket: dropping client');
    this.destroy();
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const line = this.#queue.shift()!;
        if (!(await this.#handle(line))) break;
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Answers one command; false when the client is gone or asked to quit. */
  async #handle(line: string): Promise<boolean> {
    if (line.length > MAX_COMMAND) return this.#send(this.#enc.end({ code: Code.COMMAND_TOO_LONG, text: 'Command too long' }));
    const parsed = parseCommand(line);
    if (!parsed.ok) return this.#send(this.#enc.end({ code: parsed.code, text: parsed.message }));
    if (parsed.command.type === 'quit') {
      this.#sock.end();
      return false;
    }
    let printed: Printed;
    try {
      printed = answer(parsed.command, parsed.json ? 'json' : 'text', { source: this.#opts.source, trace: this.#opts.trace, now: this.#opts.now() });
    } catch (err) {
      return this.#send(this.#enc.end(internalError(err)));
    }
    return this.#stream(printed);
  }

  async #stream(printed: Printed): Promise<boolean> {
    let chunk = '';
    for (;;) {
      let step: IteratorResult<ReplyLine | null, ReplyLine>;
      try {
        step = printed.next();
      } catch (err) {
        this.#opts.log.warn({ err: String(err) }, 'control socket: answer failed');
        return this.#send(chunk + this.#enc.end(internalError(err)));
      }
      if (step.done) return this.#send(chunk + this.#enc.end(step.value));
      if (step.value === null) {
        // A long walk with nothing to print yet: let the daemon run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#closed) return false;
        continue;
      }
      chunk += this.#enc.line(step.value);
      if (chunk.length >= this.#opts.chunkBytes) {
        if (!(await this.#send(chunk))) return false;
        chunk = '';
        // Let sessions and other clients run between chunks of a big table.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Writes, waiting for the socket to drain when it is full; drops the client if it never does. */
  #send(text: string): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#sock.write(text, 'utf8')) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.#sock.off('drain', onDrain);
        this.#sock.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      const onClose = () => finish(false);
      const timer = setTimeout(() => {
        this.#drop('reply not read');
        finish(false);
      }, this.#opts.stallTimeoutMs);
      this.#sock.on('drain', onDrain);
      this.#sock.on('close', onClose);
    });
  }
}

function internalError(err: unknown): { code: number; text: string } {
  const msg = err instanceof Error ? err.message : String(err);
  return { code: Code.INTERNAL_ERROR, text: `Internal error: ${msg.replace(/[\r\n]+/g, ' ')}` };
}
