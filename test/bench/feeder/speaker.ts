// The benchmark FEEDER: a minimal passive BGP speaker (eBGP for ingest, iBGP as a route reflector's
// client for the reflector benchmark). It pre-encodes N IPv4 /24 UPDATEs, waits for the device under
// test to connect, completes the OPEN/KEEPALIVE exchange (RFC 4271 §8)
// and then writes every UPDATE as fast as TCP takes them, so the feeder is never the bottleneck.
//
// It builds its bytes by hand and imports nothing but Node: it runs as its own process inside a
// network namespace (`ip netns exec NS node speaker.js ...`), straight from dist/ or transpiled on the
// fly by the feeder test, and it must not depend on the codec whose daemon it measures.
//
// Prints one JSON line per event on stdout: {"event":"listening"}, {"event":"established","at":ms},
// {"event":"sent","at":ms,"bytes":n,"updates":n}, {"event":"error","message":...}. `at` is epoch
// milliseconds with sub-millisecond precision, comparable across processes on one machine.
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { KEEPALIVE, MARKER, arg, ipv4, openMessage } from './bytes.js';

export type FeedMode = 'packed' | 'unique';

export interface FeedOptions {
  /** How many distinct IPv4 /24 prefixes to announce, from `firstPrefix` upwards. */
  n: number;
  /** packed: full 4096-byte UPDATEs sharing one attribute set; unique: one prefix per UPDATE, each with
   * its own AS path and community. */
  mode: FeedMode;
  localAs: number;
  routerId: string;
  nextHop: string;
  firstPrefix?: string;
  /** An iBGP feed (the peer is in our AS, e.g. a route reflector's client): the routes are originated
   * inside the AS, so the AS path is empty and LOCAL_PREF 100 is carried (RFC 4271 §5.1.2, §5.1.5). */
  ibgp?: boolean;
}

const MAX_LEN = 4096;

/**
 * The path attributes of one route: ORIGIN IGP, AS_PATH (4-octet AS numbers; no segment when empty),
 * NEXT_HOP, LOCAL_PREF when given, COMMUNITY when given.
 */
function attributes(asns: number[], nextHop: number, community: number | null, localPref: number | null = null): Buffer {
  const asPathLen = asns.length === 0 ? 0 : 2 + 4 * asns.length;
  const len = 4 + 3 + asPathLen + 7 + (localPref === null ? 0 : 7) + (community === null ? 0 : 7);
  const b = Buffer.alloc(len);
  let o = 0;
  o = b.writeUInt8(0x40, o); o = b.writeUInt8(1, o); o = b.writeUInt8(1, o); o = b.writeUInt8(0, o); // ORIGIN IGP
  o = b.writeUInt8(0x40, o); o = b.writeUInt8(2, o); o = b.writeUInt8(asPathLen, o); // AS_PATH
  if (asns.length > 0) {
    o = b.writeUInt8(2, o); o = b.writeUInt8(asns.length, o); // AS_SEQUENCE
    for (const a of asns) o = b.writeUInt32BE(a, o);
  }
  o = b.writeUInt8(0x40, o); o = b.writeUInt8(3, o); o = b.writeUInt8(4, o); o = b.writeUInt32BE(nextHop, o);
  if (localPref !== null) {
    o = b.writeUInt8(0x40, o); o = b.writeUInt8(5, o); o = b.writeUInt8(4, o); o = b.writeUInt32BE(localPref, o);
  }
  if (community !== null) {
    o = b.writeUInt8(0xc0, o); o = b.writeUInt8(8, o); o = b.writeUInt8(4, o); o = b.writeUInt32BE(community, o);
  }
  return b;
}

function update(attrs: Buffer, prefixes: number[]): Buffer {
  const len = 19 + 2 + 2 + attrs.length + 4 * prefixes.length;
  const b = Buffer.alloc(len);
  MARKER.copy(b, 0);
  b.writeUInt16BE(len, 16);
  b[18] = 2;
  b.writeUInt16BE(0, 19); // no withdrawn routes
  b.writeUInt16BE(attrs.length, 21);
  attrs.copy(b, 23);
  let o = 23 + attrs.length;
  for (const p of prefixes) {
    b[o++] = 24;
    b[o++] = p >>> 24;
    b[o++] = (p >>> 16) & 0xff;
    b[o++] = (p >>> 8) & 0xff;
  }
  return b;
}

/** Every UPDATE of a feed, concatenated; also how many UPDATEs that is. */
export function encodeFeed(opts: FeedOptions): { bytes: Buffer; updates: number } {
  const first = ipv4(opts.firstPrefix ?? '20.0.0.0');
  const nh = ipv4(opts.nextHop);
  const prefixAt = (i: number): number => (first + i * 256) >>> 0;
  const chunks: Buffer[] = [];
  const localPref = opts.ibgp ? 100 : null;
  if (opts.mode === 'packed') {
    const attrs = attributes(opts.ibgp ? [] : [opts.localAs], nh, null, localPref);
    const perUpdate = Math.floor((MAX_LEN - 23 - attrs.length) / 4);
    for (let i = 0; i < opts.n; i += perUpdate) {
      const batch: number[] = [];
      for (let j = i; j < Math.min(opts.n, i + perUpdate); j++) batch.push(prefixAt(j));
      chunks.push(update(attrs, batch));
    }
  } else {
    for (let i = 0; i < opts.n; i++) {
      // Own AS path and community per route, so no two routes share an attribute set.
      const path = opts.ibgp ? [100_000 + i] : [opts.localAs, 100_000 + i];
      const attrs = attributes(path, nh, (((1 + (i >>> 16)) << 16) | (i & 0xffff)) >>> 0, localPref);
      chunks.push(update(attrs, [prefixAt(i)]));
    }
  }
  return { bytes: Buffer.concat(chunks), updates: chunks.length };
}

const now = (): number => performance.timeOrigin + performance.now();

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/**
 * Serve one feed to the first peer that connects, then keep the session up (keepalives, reading and
 * discarding whatever the peer sends) until the process is killed. With `gate`, the connection is
 * accepted but our OPEN waits for a line `go` on stdin, so the session (and the feed) starts when the
 * harness says, while the peer waits in OpenSent.
 */
export function serve(opts: FeedOptions & { listen: string; port: number; gate?: boolean }): void {
  const feed = encodeFeed(opts);
  const open = openMessage(opts.localAs, ipv4(opts.routerId), 90);
  let served = false;
  let opened = !opts.gate;
  let start: (() => void) | null = null;
  if (opts.gate) {
    let line = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      line += d;
      if (!opened && line.split('\n').includes('go')) {
        opened = true;
        start?.();
      }
    });
  }
  const server = createServer((sock: Socket) => {
    if (served) {
      sock.destroy();
      return;
    }
    served = true;
    sock.setNoDelay(true);
    let inbound = Buffer.alloc(0);
    let state: 'open-sent' | 'open-confirm' | 'established' = 'open-sent';
    let holdTime = 90;
    const handle = (): void => {
      while (inbound.length >= 19) {
        const len = inbound.readUInt16BE(16);
        if (inbound.length < len) break;
        const type = inbound[18];
        const msg = inbound.subarray(0, len);
        inbound = inbound.subarray(len);
        if (type === 3) {
          emit({ event: 'error', message: `NOTIFICATION ${msg[19]}/${msg[20]} from the peer` });
          process.exit(1);
        }
        if (type === 1 && state === 'open-sent') {
          // RFC 4271 §4.2: the smaller hold time wins; keepalives at a third of it.
          holdTime = Math.min(90, msg.readUInt16BE(22));
          sock.write(KEEPALIVE);
          state = 'open-confirm';
        } else if (type === 4 && state === 'open-confirm') {
          state = 'established';
          emit({ event: 'established', at: now() });
          sock.write(feed.bytes, () => emit({ event: 'sent', at: now(), bytes: feed.bytes.length, updates: feed.updates }));
          if (holdTime > 0) setInterval(() => sock.write(KEEPALIVE), (holdTime * 1000) / 3).unref();
          return;
        }
      }
    };
    start = () => {
      sock.write(open);
      handle();
    };
    if (opened) start();
    sock.on('data', (chunk: Buffer) => {
      if (state === 'established') return; // the peer's updates and keepalives are not ours to read
      inbound = Buffer.concat([inbound, chunk]);
      if (opened) handle();
    });
    sock.on('error', (err) => emit({ event: 'error', message: err.message }));
    sock.on('close', () => emit({ event: 'closed', at: now() }));
  });
  server.listen(opts.port, opts.listen, () => emit({ event: 'listening', updates: feed.updates, bytes: feed.bytes.length }));
}

// Run as a program (not when imported by the harness for its types or encodeFeed).
if (process.argv[1] && /speaker\.m?js$/.test(process.argv[1])) {
  try {
    serve({
      listen: arg('listen'),
      port: Number(arg('port', '179')),
      n: Number(arg('n')),
      mode: arg('mode', 'packed') as FeedMode,
      localAs: Number(arg('as')),
      routerId: arg('router-id'),
      nextHop: arg('next-hop'),
      firstPrefix: arg('first-prefix', '20.0.0.0'),
      ibgp: process.argv.includes('--ibgp'),
      gate: process.argv.includes('--gate'),
    });
  } catch (err) {
    emit({ event: 'error', message: String(err) });
    process.exit(2);
  }
}
