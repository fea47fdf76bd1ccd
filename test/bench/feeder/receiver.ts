// The reflector benchmark's CLIENTS: minimal passive iBGP receivers, several in one process, one per
// listening address. Each completes the OPEN/KEEPALIVE exchange with the reflector that connects to it
// (RFC 4271 §8), keeps the session up with keepalives, and from then on only counts: which prefixes of
// the feed range the UPDATE NLRI announced and the withdrawn routes took back (one byte per /24 of the
// feed, no RIB, no attributes decoded), so a client is never what the benchmark waits for.
//
// Like the feeder (speaker.ts) it builds and reads its bytes by hand (shared bits in bytes.ts) and
// imports nothing but Node: it runs as its own process inside a network namespace.
//
// Prints one JSON line per event on stdout: {"event":"listening"}, {"event":"established","client":i,
// "at":ms}, {"event":"full","client":i,"at":ms} the first time client i holds every prefix of the feed,
// {"event":"counts","held":[...],"other":[...],"updates":[...]} for a line `counts` on stdin,
// {"event":"error","client":i,"message":...}. `at` is epoch milliseconds, comparable with the feeder's.
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { KEEPALIVE, arg, ipv4, openMessage } from './bytes.js';

export interface ReceiverOptions {
  /** One client per address; each listens on `port` there. */
  addresses: string[];
  port: number;
  localAs: number;
  /** The feed: n IPv4 /24 from firstPrefix upwards. */
  n: number;
  firstPrefix: string;
}

const now = (): number => performance.timeOrigin + performance.now();

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** What one client holds: a byte per /24 of the feed range, and a count of anything else announced. */
export class PrefixCounter {
  readonly #first: number;
  readonly #n: number;
  readonly #have: Uint8Array;
  #other = new Set<string>();
  held = 0;

  constructor(first: number, n: number) {
    this.#first = first;
    this.#n = n;
    this.#have = new Uint8Array(n);
  }

  get other(): number {
    return this.#other.size;
  }

  /** Walk a run of (length, prefix) NLRI entries, announcing or withdrawing each. */
  apply(buf: Buffer, start: number, end: number, announce: boolean): void {
    let o = start;
    while (o < end) {
      const bits = buf[o];
      const bytes = (bits + 7) >> 3;
      if (bits > 32 || o + 1 + bytes > end) throw new Error(`malformed NLRI at offset ${o}`);
      let addr = 0;
      for (let i = 0; i < 4; i++) addr = (addr << 8) | (i < bytes ? buf[o + 1 + i] : 0);
      addr >>>= 0;
      o += 1 + bytes;
      const index = (addr - this.#first) / 256;
      if (bits === 24 && Number.isInteger(index) && index >= 0 && index < this.#n) {
        if (announce && this.#have[index] === 0) {
          this.#have[index] = 1;
          this.held++;
        } else if (!announce && this.#have[index] === 1) {
          this.#have[index] = 0;
          this.held--;
        }
      } else {
        const key = `${addr}/${bits}`;
        if (announce) this.#other.add(key);
        else this.#other.delete(key);
      }
    }
  }

  /** One UPDATE message (header included): withdrawn routes, then NLRI. Attributes are skipped. */
  update(msg: Buffer): void {
    const wlen = msg.readUInt16BE(19);
    this.apply(msg, 21, 21 + wlen, false);
    const alen = msg.readUInt16BE(21 + wlen);
    this.apply(msg, 23 + wlen + alen, msg.length, true);
  }
}

/** Run the clients until the process is killed. */
export function receive(opts: ReceiverOptions): void {
  const first = ipv4(opts.firstPrefix);
  const clients = opts.addresses.map(() => ({ counter: new PrefixCounter(first, opts.n), updates: 0, full: false }));
  let listening = 0;
  opts.addresses.forEach((address, i) => {
    const c = clients[i];
    let taken = false;
    const server = createServer((sock: Socket) => {
      if (taken) {
        sock.destroy();
        return;
      }
      taken = true;
      sock.setNoDelay(true);
      sock.write(openMessage(opts.localAs, ipv4(address), 90));
      let state: 'open-sent' | 'open-confirm' | 'established' = 'open-sent';
      let pending: Buffer = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let o = 0;
        while (pending.length - o >= 19) {
          const len = pending.readUInt16BE(o + 16);
          if (len < 19) {
            emit({ event: 'error', client: i, message: `bad message length ${len}` });
            sock.destroy();
            return;
          }
          if (pending.length - o < len) break;
          const type = pending[o + 18];
          const msg = pending.subarray(o, o + len);
          o += len;
          if (type === 2 && state === 'established') {
            c.updates++;
            try {
              c.counter.update(msg);
            } catch (err) {
              emit({ event: 'error', client: i, message: String(err) });
            }
          } else if (type === 3) {
            emit({ event: 'error', client: i, message: `NOTIFICATION ${msg[19]}/${msg[20]} from the reflector` });
            sock.destroy();
            return;
          } else if (type === 1 && state === 'open-sent') {
            const hold = Math.min(90, msg.readUInt16BE(22));
            sock.write(KEEPALIVE);
            state = 'open-confirm';
            if (hold > 0) setInterval(() => sock.write(KEEPALIVE), (hold * 1000) / 3).unref();
          } else if (type === 4 && state === 'open-confirm') {
            state = 'established';
            emit({ event: 'established', client: i, at: now() });
          }
        }
        // Keep only the unread tail; copy it so the big chunk it came from can be freed.
        pending = o === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(o));
        if (!c.full && c.counter.held === opts.n) {
          c.full = true;
          emit({ event: 'full', client: i, at: now() });
        }
      });
      sock.on('error', (err) => emit({ event: 'error', client: i, message: err.message }));
      sock.on('close', () => emit({ event: 'closed', client: i, at: now() }));
    });
    server.listen(opts.port, address, () => {
      if (++listening === opts.addresses.length) emit({ event: 'listening' });
    });
  });
  let line = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    line += d;
    const lines = line.split('\n');
    line = lines.pop() ?? '';
    for (const l of lines) {
      if (l.trim() === 'counts') {
        emit({
          event: 'counts',
          held: clients.map((c) => c.counter.held),
          other: clients.map((c) => c.counter.other),
          updates: clients.map((c) => c.updates),
        });
      }
    }
  });
}

// Run as a program (not when imported by the harness or its test).
if (process.argv[1] && /receiver\.m?js$/.test(process.argv[1])) {
  try {
    receive({
      addresses: arg('listen').split(','),
      port: Number(arg('port', '179')),
      localAs: Number(arg('as')),
      n: Number(arg('n')),
      firstPrefix: arg('first-prefix'),
    });
  } catch (err) {
    emit({ event: 'error', message: String(err) });
    process.exit(2);
  }
}
