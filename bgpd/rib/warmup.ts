// JIT warm-up: before the first session starts, a throwaway RIB takes a synthetic table through the
// same code the sessions use (scanUpdate, Rib.ingest, the attribute and prefix tables, the decision),
// so the first real table — a node's restart taking a full feed from its ToR, a route reflector
// taking its clients' — meets optimised code instead of the interpreter. It runs once per process,
// takes a few tens of milliseconds, and leaves nothing behind: the RIB, its tables and the bytes are
// garbage when it returns. Nothing of it is ever sent or installed.
import { Framer } from '../wire/index.js';
import type { Policy } from '../policy/types.js';
import { Rib } from './rib.js';
import type { RibPeerConfig } from './peer.js';

/** Private AS numbers and a documentation range: the table is never seen outside this module. */
const US = 4_200_000_000;
const THEM = 4_200_000_001;

const acceptAll: Policy = {
  exportFilter: () => () => ({ communities: [], largeCommunities: [] }),
  importFilter: () => () => true,
  kernelFilter: () => true,
  originated: () => [],
  key: () => 'warm-up',
};

const peer = (name: string, peerAs: number): RibPeerConfig => ({
  name,
  peerAddress: name,
  localAs: US,
  peerAs,
  family: 4,
  rrClient: false,
  nextHop: 'auto',
  numAllowedLocalAS: 0,
  filters: [],
  maxPrefixes: 2_000_000,
});

/** Writes UPDATEs back to back into one buffer, as a socket read holds them. */
class Writer {
  buf = Buffer.alloc(1 << 20);
  o = 0;
  at: number[] = [];
  #start = 0;

  u8(n: number): void {
    if (this.o === this.buf.length) {
      const b = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(b);
      this.buf = b;
    }
    this.buf[this.o++] = n;
  }

  u16(n: number): void {
    this.u8(n >> 8);
    this.u8(n & 255);
  }

  u32(n: number): void {
    this.u16(n >>> 16);
    this.u16(n & 0xffff);
  }

  /** A /24 in 10.0.0.0/8 upwards: the k-th. */
  net(k: number): void {
    this.u8(24);
    this.u8(10 + (k >> 16));
    this.u8((k >> 8) & 255);
    this.u8(k & 255);
  }

  begin(): void {
    this.#start = this.o;
    this.at.push(this.o);
    for (let i = 0; i < 16; i++) this.u8(0xff);
    this.u16(0);
    this.u8(2);
  }

  /** Patch a length field at `at` to cover everything written after it. */
  patch(at: number): void {
    this.buf.writeUInt16BE(this.o - at - 2, at);
  }

  end(): void {
    this.buf.writeUInt16BE(this.o - this.#start, this.#start + 16);
  }

  /** ORIGIN, AS_PATH (4-octet ASNs), NEXT_HOP, MED? COMMUNITIES? of route i, or the shared set. */
  attrs(i: number, shared: boolean): void {
    const at = this.o;
    this.u16(0);
    const asns = shared ? 1 : 3;
    this.u8(0x40), this.u8(1), this.u8(1), this.u8(shared ? 0 : i % 3);
    this.u8(0x40), this.u8(2), this.u8(2 + 4 * asns), this.u8(2), this.u8(asns);
    this.u32(THEM);
    if (!shared) this.u32(64512 + (i % 1000)), this.u32(i + 1);
    this.u8(0x40), this.u8(3), this.u8(4), this.u8(192), this.u8(0), this.u8(2), this.u8(shared ? 9 : 1 + (i % 4));
    if (shared || i % 2) this.u8(0x80), this.u8(4), this.u8(4), this.u32(shared ? 10 : i % 7);
    if (!shared && i % 3) this.u8(0xc0), this.u8(8), this.u8(4), this.u32(65000 * 65536 + (i & 0xffff));
    this.patch(at);
  }
}

/** UPDATEs back to back in one buffer, as a socket read holds them, with their offsets. */
export function warmUpFeed(): { buf: Buffer; at: number[] } {
  const w = new Writer();
  // One prefix per UPDATE, each with its own AS path and community (attribute sets mostly new).
  for (let i = 0; i < UNIQUE; i++) {
    w.begin();
    w.u16(0);
    w.attrs(i, false);
    w.net(i);
    w.end();
  }
  // Full UPDATEs sharing one set (interning hits), then prefixes withdrawn, then some announced again.
  const packed = (from: number, to: number, withdraw: boolean): void => {
    for (let i = from; i < to; i += 500) {
      w.begin();
      const wl = w.o;
      w.u16(0);
      if (withdraw) for (let k = i; k < i + 500; k++) w.net(k);
      w.patch(wl);
      if (withdraw) w.u16(0);
      else w.attrs(0, true);
      if (!withdraw) for (let k = i; k < i + 500; k++) w.net(k);
      w.end();
    }
  };
  packed(20_000, 20_000 + UNIQUE, false);
  packed(0, UNIQUE, true);
  packed(0, UNIQUE / 2, false);
  return { buf: w.buf.subarray(0, w.o), at: w.at };
}

/** Routes with their own attribute set, per peer: enough calls for the hot functions to be optimised. */
const UNIQUE = 3000;

let done = false;

/**
 * Run the synthetic table through a throwaway RIB once per process; resolves when its decisions are
 * done. Later calls resolve at once. Returns the milliseconds spent (0 when it had already run).
 * `policy` should be the one the speaker's RIB will use: its filters are then the very closures the
 * optimised code was made for (another closure at the same call would throw that code away).
 */
export async function warmUp(policy: Policy = acceptAll): Promise<number> {
  if (done) return 0;
  done = true;
  const t0 = performance.now();
  const { buf } = warmUpFeed();
  // Arrays sized for the synthetic table, not a full one: this RIB is garbage once done.
  const rib = new Rib({ capacity: 1 << 15, routerId: 0xc0000201, localAs: US, clusterId: null });
  rib.setPolicy(policy);
  rib.addPeer(peer('warm-up-ebgp', THEM));
  rib.addPeer(peer('warm-up-ibgp', US));
  for (const name of ['warm-up-ebgp', 'warm-up-ibgp']) {
    // Through a framer, in socket-sized reads with messages cut across them, as a connection does.
    const framer = new Framer();
    const sink = (b: Buffer, off: number, len: number): boolean => rib.ingest(name, b, off + 19, off + len);
    for (let o = 0, k = 0; o < buf.length; k++) {
      const n = k % 3 === 0 ? 65536 : k % 3 === 1 ? 1000 + (k % 17) : 7;
      framer.pushTo(buf.subarray(o, o + n), sink);
      o += n;
    }
    // Let the decision run between the peers, as it does between socket reads.
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 1000 && !rib.idle; i++) await new Promise((r) => setImmediate(r));
  return performance.now() - t0;
}
