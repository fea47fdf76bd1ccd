// The zero-allocation UPDATE scanner (bgpd/wire/scan.ts): hand-built vectors for each field and each
// reason to answer false, then a differential test against decodeUpdate over generated UPDATEs and
// their mutations. The contract tested: true only when the full decoder agrees on every field, and
// true for every plain UPDATE (so the fast path is not silently lost).
import { describe, expect, it } from 'vitest';
import { asPathLength } from '../../bgpd/wire/attrs/aspath.js';
import { BgpWireError, parseIpv4, type PrefixList, type UpdateMessage } from '../../bgpd/wire/index.js';
import { hashBytes, scanUpdate, UpdateScan } from '../../bgpd/wire/scan.js';
import { decodeUpdate } from '../../bgpd/wire/update.js';
import { CTX4, hex } from './bytes.js';

const LOCAL_AS = 65001;

/** An UPDATE body from its three fields. */
function body(attrs: Buffer | string, nlri: Buffer | string = '', withdrawn: Buffer | string = ''): Buffer {
  const a = typeof attrs === 'string' ? hex(attrs) : attrs;
  const n = typeof nlri === 'string' ? hex(nlri) : nlri;
  const w = typeof withdrawn === 'string' ? hex(withdrawn) : withdrawn;
  const b = Buffer.alloc(4 + w.length + a.length + n.length);
  b.writeUInt16BE(w.length, 0);
  w.copy(b, 2);
  b.writeUInt16BE(a.length, 2 + w.length);
  a.copy(b, 4 + w.length);
  n.copy(b, 4 + w.length + a.length);
  return b;
}

/**
 * The body inside a larger buffer, as the framer hands it over: a header before and (unless
 * `atEnd`) the next message's bytes after, so offsets must be absolute and nothing may be read
 * past `end`; at the buffer's end, a read past it would give undefined.
 */
function framed(b: Buffer, atEnd = false): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.alloc(19 + b.length + (atEnd ? 0 : 7), 0xff);
  b.copy(buf, 19);
  if (!atEnd) buf[19 + b.length] = 0x18; // would read as a /24 if the NLRI walk overran
  return { buf, start: 19, end: 19 + b.length };
}

function scan(b: Buffer, clusterId = -1, out = new UpdateScan()): UpdateScan | null {
  const { buf, start, end } = framed(b);
  return scanUpdate(buf, start, end, LOCAL_AS, clusterId, out) ? out : null;
}

const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 0a 02 02 0000fde9 0000fdea'; // AS_SEQUENCE 65001 65002
const NEXT_HOP = '40 03 04 0a000001';
const MANDATORY = `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`;
const NLRI = '18 0a0001'; // 10.0.1.0/24

describe('scanUpdate: plain UPDATEs', () => {
  it('reads a typical UPDATE', () => {
    const b = body(`${MANDATORY} c0 08 04 fde90064`, NLRI);
    const s = scan(b)!;
    expect(s).not.toBeNull();
    const at = 19;
    expect([s.wStart - at, s.wEnd - at, s.aStart - at, s.aEnd - at, s.nStart - at, s.nEnd - at]).toEqual([2, 2, 4, 35, 35, 39]);
    expect(s.withdrawnCount).toBe(0);
    expect(s.nlriCount).toBe(1);
    expect(s.origin).toBe(0);
    expect(s.nextHop).toBe(0x0a000001);
    expect(s.asPathLen).toBe(2);
    expect(s.neighborAs).toBe(65001);
    expect(s.localAsCount).toBe(1);
    expect([s.hasMed, s.hasLocalPref, s.hasOriginatorId, s.clusterListLen, s.clusterHit]).toEqual([false, false, false, 0, false]);
    expect(s.hash).toBe(hashBytes(b, 4, 35));
  });

  it.each([
    ['MULTI_EXIT_DISC', '80 04 04 00000064', { hasMed: true, med: 100 }],
    ['LOCAL_PREF', '40 05 04 ffffffff', { hasLocalPref: true, localPref: 0xffffffff }],
    ['ATOMIC_AGGREGATE', '40 06 00', {}],
    ['AGGREGATOR', 'c0 07 08 0000fde9 0a000001', {}],
    ['EXTENDED_COMMUNITIES', 'c0 10 10 0002fde900000064 0002fde900000065', {}],
    ['LARGE_COMMUNITY', 'c0 20 0c 0000fde9 00000001 00000002', {}],
    ['ORIGINATOR_ID', '80 09 04 c0a80001', { hasOriginatorId: true, originatorId: 0xc0a80001 }],
    ['CLUSTER_LIST', '80 0a 08 0a000001 0a000002', { clusterListLen: 2, clusterHit: false }],
    ['COMMUNITIES with the Partial bit (not compared)', 'e0 08 04 fde90064', {}],
    ['COMMUNITIES with an extended length', 'd0 08 0004 fde90064', {}],
  ])('%s', (_name, extra, want) => {
    const s = scan(body(`${MANDATORY} ${extra}`, NLRI));
    expect(s).not.toBeNull();
    expect(s).toMatchObject(want);
  });

  it('finds the cluster id in CLUSTER_LIST only when one is given', () => {
    const b = body(`${MANDATORY} 80 0a 08 0a000001 0a000002`, NLRI);
    expect(scan(b, 0x0a000002)!.clusterHit).toBe(true);
    expect(scan(b, 0x0a000003)!.clusterHit).toBe(false);
    expect(scan(b, -1)!.clusterHit).toBe(false);
  });

  it.each([
    ['an AS_SET counts one', '40 02 0e 01 03 00000001 00000002 00000003', 1, 1],
    ['confederation segments count nothing and hide the neighbour', '40 02 10 03 01 0000fde9 02 02 00000001 00000002', 2, 0],
    ['an empty AS_PATH (iBGP)', '40 02 00', 0, 0],
  ])('AS_PATH: %s', (_name, path, len, neighbor) => {
    const s = scan(body(`${ORIGIN} ${path} ${NEXT_HOP}`, NLRI))!;
    expect([s.asPathLen, s.neighborAs]).toEqual([len, neighbor]);
  });

  it('counts the local AS in every segment', () => {
    const s = scan(body(`${ORIGIN} 40 02 10 03 01 0000fde9 02 02 0000fde9 00000002 ${NEXT_HOP}`, NLRI))!;
    expect(s.localAsCount).toBe(2);
  });

  it('takes a withdrawal without attributes', () => {
    const s = scan(body('', '', '18 0a0001 10 0a01 00'))!;
    expect(s).not.toBeNull();
    expect([s.withdrawnCount, s.nlriCount, s.aStart, s.aEnd]).toEqual([3, 0, 19 + 12, 19 + 12]);
    expect(s.hash).toBe(hashBytes(Buffer.alloc(0), 0, 0));
  });

  it('leaves nothing of the previous UPDATE in a reused result', () => {
    const out = new UpdateScan();
    scan(body(`${MANDATORY} 80 04 04 00000064 40 05 04 00000064 80 09 04 01020304 80 0a 04 0a000001`, NLRI), 0x0a000001, out);
    expect(out).toMatchObject({ hasMed: true, hasLocalPref: true, hasOriginatorId: true, clusterHit: true });
    expect(scan(body(MANDATORY, NLRI), 0x0a000001, out)).not.toBeNull();
    expect(out).toMatchObject({ hasMed: false, med: 0, hasLocalPref: false, localPref: 0 });
    expect(out).toMatchObject({ hasOriginatorId: false, originatorId: 0, clusterListLen: 0, clusterHit: false });
    expect(scan(body('', '', NLRI), -1, out)).not.toBeNull();
    expect(out).toMatchObject({ asPathLen: 0, neighborAs: 0, localAsCount: 0, nextHop: 0, origin: 2 });
  });
});

describe('scanUpdate: everything else is left to the decoder', () => {
  const withMandatory = (extra: string) => body(`${MANDATORY} ${extra}`, NLRI);
  const replacing = (type: number, bad: string) =>
    body(
      [ORIGIN, AS_PATH, NEXT_HOP]
        .filter((a) => hex(a)[1] !== type)
        .concat(bad)
        .join(' '),
      NLRI,
    );
  it.each([
    ['a body shorter than its length fields', hex('0000 00')],
    ['a withdrawn length overrunning the body', hex('0005 0a0001 0000')],
    ['an attribute length overrunning the body', hex('0000 0010 40010100')],
    ['a prefix longer than 32', body(MANDATORY, '21 0a00010000')],
    ['a prefix overrunning the NLRI field', body(MANDATORY, '18 0a00')],
    ['host bits in an NLRI prefix', body(MANDATORY, '18 0a000101')],
    ['host bits in a withdrawn prefix', body('', '', '17 0a0001')],
    ['the empty UPDATE (End-of-RIB)', body('')],
    ['attributes without NLRI', body(MANDATORY)],
    ['NLRI without attributes', body('', NLRI)],
    ['missing ORIGIN', replacing(1, '')],
    ['missing AS_PATH', replacing(2, '')],
    ['missing NEXT_HOP', replacing(3, '')],
    ['ORIGIN value 3', replacing(1, '40 01 01 03')],
    ['ORIGIN of length 2', replacing(1, '40 01 02 0000')],
    ['ORIGIN flagged optional', replacing(1, 'c0 01 01 00')],
    ['AS_PATH segment type 5', replacing(2, '40 02 06 05 01 0000fde9')],
    ['AS_PATH segment of length zero', replacing(2, '40 02 02 02 00')],
    ['AS_PATH segment overrun', replacing(2, '40 02 06 02 02 0000fde9')],
    ['AS_PATH one-octet underrun', replacing(2, '40 02 07 02 01 0000fde9 02')],
    ['AS_PATH of 2-octet AS numbers', replacing(2, '40 02 04 02 01 fde9')],
    ['AS_PATH flagged optional', replacing(2, 'c0 02 06 02 01 0000fde9')],
    ['NEXT_HOP of length 5', replacing(3, '40 03 05 0a00000100')],
    ['NEXT_HOP in 0/8', replacing(3, '40 03 04 00000001')],
    ['NEXT_HOP in 127/8', replacing(3, '40 03 04 7f000001')],
    ['NEXT_HOP in 224/3', replacing(3, '40 03 04 e0000001')],
    ['NEXT_HOP flagged optional', replacing(3, '80 03 04 0a000001')],
    ['MULTI_EXIT_DISC of length 3', withMandatory('80 04 03 000001')],
    ['MULTI_EXIT_DISC flagged well-known', withMandatory('40 04 04 00000001')],
    ['LOCAL_PREF of length 8', withMandatory('40 05 08 0000000000000001')],
    ['LOCAL_PREF flagged optional', withMandatory('80 05 04 00000001')],
    ['ATOMIC_AGGREGATE of length 1', withMandatory('40 06 01 00')],
    ['ATOMIC_AGGREGATE flagged optional', withMandatory('c0 06 00')],
    ['AGGREGATOR of the 2-octet form', withMandatory('c0 07 06 fde9 0a000001')],
    ['AGGREGATOR flagged non-transitive', withMandatory('80 07 08 0000fde9 0a000001')],
    ['COMMUNITIES of length 0', withMandatory('c0 08 00')],
    ['COMMUNITIES of length 5', withMandatory('c0 08 05 0000000001')],
    ['COMMUNITIES flagged well-known', withMandatory('40 08 04 00000001')],
    ['ORIGINATOR_ID of length 2', withMandatory('80 09 02 0001')],
    ['ORIGINATOR_ID flagged transitive', withMandatory('c0 09 04 00000001')],
    ['CLUSTER_LIST of length 0', withMandatory('80 0a 00')],
    ['CLUSTER_LIST of length 6', withMandatory('80 0a 06 000000010000')],
    ['CLUSTER_LIST flagged transitive', withMandatory('c0 0a 04 00000001')],
    ['EXTENDED_COMMUNITIES of length 7', withMandatory('c0 10 07 00000000000000')],
    ['EXTENDED_COMMUNITIES of length 0', withMandatory('c0 10 00')],
    ['EXTENDED_COMMUNITIES flagged well-known', withMandatory('40 10 08 0000000000000000')],
    ['LARGE_COMMUNITY of length 11', withMandatory('c0 20 0b 0000000000000000000000')],
    ['LARGE_COMMUNITY of length 0', withMandatory('c0 20 00')],
    ['LARGE_COMMUNITY flagged non-transitive', withMandatory('80 20 0c 000000000000000000000000')],
    ['a repeated attribute', withMandatory('40 01 01 00')],
    ['MP_REACH_NLRI', withMandatory('80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001')],
    ['MP_UNREACH_NLRI', withMandatory('80 0f 03 0002 01')],
    ['AS4_PATH', withMandatory('c0 11 06 02 01 0000fde9')],
    ['AS4_AGGREGATOR', withMandatory('c0 12 08 0000fde9 0a000001')],
    ['an unknown optional transitive attribute', withMandatory('c0 63 02 abcd')],
    ['an unknown optional non-transitive attribute', withMandatory('80 63 02 abcd')],
    ['an unknown well-known attribute', withMandatory('40 63 02 abcd')],
    ['one trailing octet in the attribute list', withMandatory('40')],
    ['two trailing octets in the attribute list', withMandatory('c0 08')],
    ['an extended-length header cut short', withMandatory('d0 08 00')],
    ['an attribute overrunning the list', withMandatory('c0 08 08 00000001')],
  ])('%s', (_name, b) => {
    expect(scan(b)).toBeNull();
  });

  it('refuses bounds outside the buffer instead of reading undefined', () => {
    const b = body(MANDATORY, NLRI);
    const out = new UpdateScan();
    expect(scanUpdate(b, 0, b.length + 4, LOCAL_AS, -1, out)).toBe(false);
    expect(scanUpdate(b, -1, b.length, LOCAL_AS, -1, out)).toBe(false);
    expect(scanUpdate(b, 0, b.length, LOCAL_AS, -1, out)).toBe(true);
  });
});

describe('hashBytes', () => {
  // MurmurHash3 x86 32-bit, seed 0, published test vectors, kept to 31 bits (the RIB interns on it).
  it.each([
    ['', 0],
    ['hello', 0x248bfa47],
    ['hello, world', 0x149bbb7f],
    ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
    ['abc', 0xb3dd93fa],
  ])('%j', (text, want) => {
    const b = Buffer.from(text);
    expect(hashBytes(b, 0, b.length)).toBe(want & 0x7fffffff);
    // A range of a larger buffer hashes as the bytes alone.
    const wide = Buffer.concat([hex('ffee'), b, hex('dd')]);
    expect(hashBytes(wide, 2, 2 + b.length)).toBe(want & 0x7fffffff);
  });
});

// ---- The differential test -------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  chance(p: number): boolean {
    return this.r() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  u32(): number {
    return Math.floor(this.r() * 0x100000000) >>> 0;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

function u32be(...xs: number[]): Buffer {
  const b = Buffer.alloc(4 * xs.length);
  xs.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
}

/** Prefixes in wire form; `hostBits` sets a bit past the length of one prefix whose length allows it. */
function prefixes(g: Gen, n: number, hostBits: boolean): { bytes: Buffer; dirty: boolean } {
  const parts: Buffer[] = [];
  let dirty = false;
  for (let i = 0; i < n; i++) {
    const len = g.chance(0.1) ? g.pick([0, 32, 1, 31, 8, 9]) : g.int(8, 32);
    const nb = (len + 7) >> 3;
    const addr = len === 0 ? 0 : (g.u32() & (0xffffffff << (32 - len))) >>> 0;
    const b = Buffer.alloc(1 + nb);
    b[0] = len;
    for (let k = 0; k < nb; k++) b[1 + k] = (addr >>> (24 - 8 * k)) & 255;
    if (hostBits && !dirty && len & 7) {
      b[nb] |= 1 << g.int(0, 7 - (len & 7));
      dirty = true;
    }
    parts.push(b);
  }
  return { bytes: Buffer.concat(parts), dirty };
}

function attr(g: Gen, flags: number, type: number, value: Buffer): Buffer {
  let f = flags;
  if (g.chance(0.05)) f |= 0x20; // Partial: not compared by the decoder
  const ext = value.length > 255 || g.chance(0.08);
  const hdr = ext ? Buffer.from([f | 0x10, type, value.length >> 8, value.length & 255]) : Buffer.from([f & ~0x10, type, value.length]);
  return Buffer.concat([hdr, value]);
}

function asn(g: Gen): number {
  return g.chance(0.2) ? LOCAL_AS : g.chance(0.5) ? g.int(1, 65535) : g.u32();
}

/** AS_PATH segments; sometimes one is malformed (RFC 7606 §7.2) but framed right, and `bad` says so. */
function asPathValue(g: Gen): { value: Buffer; bad: boolean } {
  const parts: Buffer[] = [];
  const segs = g.chance(0.1) ? 0 : g.int(1, 4);
  let bad = false;
  for (let i = 0; i < segs; i++) {
    let type = g.chance(0.6) ? 2 : g.pick([1, 3, 4]);
    let n = g.chance(0.02) ? g.int(60, 255) : g.int(1, 6);
    if (g.chance(0.02)) (n = 0), (bad = true);
    else if (g.chance(0.02)) (type = g.pick([0, 5, 255])), (bad = true);
    parts.push(Buffer.from([type, n]), u32be(...Array.from({ length: n }, () => asn(g))));
  }
  return { value: Buffer.concat(parts), bad };
}

function hostAddress(g: Gen): number {
  const first = g.pick([10, 192, 172, 1, 100, 223, 126, 128]);
  return ((first << 24) | (g.u32() & 0xffffff)) >>> 0;
}

/** One generated UPDATE body, whether it is plain, and where its headers sit (for mutations). */
interface Case {
  body: Buffer;
  plain: boolean;
  clusterId: number;
  /** Offsets in body of the withdrawn length, the attribute length, and each attribute header. */
  heads: number[];
  /** The fields it was built from, for mutations that keep the framing right. */
  withdrawn: Buffer;
  attrs: Buffer[];
  nlri: Buffer;
}

// Types the full decoder knows but the scan refuses, plus unknown ones, for "extra" attributes.
const EXTRA_TYPES = [14, 15, 17, 18, 99, 200, 0];

function generate(g: Gen): Case {
  const clusterId = g.pick([-1, 0x0a000001, g.u32()]);
  const w = prefixes(g, g.chance(0.3) ? g.int(1, 6) : 0, g.chance(0.04));
  const n = prefixes(g, g.chance(0.85) ? g.int(1, 8) : 0, g.chance(0.04));
  const hasNlri = n.bytes.length > 0;
  const attrs: Buffer[] = [];
  let plain = !w.dirty && !n.dirty;
  if (!hasNlri && g.chance(0.6)) {
    // A withdrawal (or, with nothing withdrawn, the End-of-RIB).
    plain &&= w.bytes.length > 0;
  } else {
    const want = (mandatory: boolean) => g.chance(mandatory ? (hasNlri ? 0.96 : 0.5) : 0.35);
    let mandatory = 0;
    let martian = false;
    if (want(true)) attrs.push(attr(g, 0x40, 1, Buffer.from([g.int(0, 2)]))), mandatory++;
    let badPath = false;
    if (want(true)) {
      const path = asPathValue(g);
      badPath = path.bad;
      attrs.push(attr(g, 0x40, 2, path.value)), mandatory++;
    }
    if (want(true)) {
      const nh = g.chance(0.04) ? ((g.pick([0, 127, 224, 255]) << 24) | 1) >>> 0 : hostAddress(g);
      martian = nh >>> 24 === 0 || nh >>> 24 === 127 || nh >>> 24 >= 224;
      attrs.push(attr(g, 0x40, 3, u32be(nh))), mandatory++;
    }
    if (want(false)) attrs.push(attr(g, 0x80, 4, u32be(g.u32())));
    if (want(false)) attrs.push(attr(g, 0x40, 5, u32be(g.u32())));
    if (want(false)) attrs.push(attr(g, 0x40, 6, Buffer.alloc(0)));
    if (want(false)) attrs.push(attr(g, 0xc0, 7, Buffer.concat([u32be(asn(g)), u32be(hostAddress(g))])));
    if (want(false)) attrs.push(attr(g, 0xc0, 8, g.bytes(4 * g.int(1, 6))));
    if (want(false)) attrs.push(attr(g, 0x80, 9, u32be(g.u32())));
    if (want(false)) {
      const ids = Array.from({ length: g.int(1, 4) }, () => g.u32());
      if (clusterId >= 0 && g.chance(0.3)) ids[g.int(0, ids.length - 1)] = clusterId;
      attrs.push(attr(g, 0x80, 10, u32be(...ids)));
    }
    if (want(false)) attrs.push(attr(g, 0xc0, 16, g.bytes(8 * g.int(1, 3))));
    if (want(false)) attrs.push(attr(g, 0xc0, 32, g.bytes(12 * g.int(1, 3))));
    // Well-formed attributes the scan must still refuse: a repeat, MP, AS4_*, unknown types.
    let extra = false;
    if (attrs.length > 0 && g.chance(0.08)) attrs.push(attrs[g.int(0, attrs.length - 1)]), (extra = true);
    if (g.chance(0.08)) attrs.push(attr(g, g.pick([0x40, 0x80, 0xc0]), g.pick(EXTRA_TYPES), g.bytes(g.int(0, 12)))), (extra = true);
    // Any order: RFC 4271 §5 does not fix one.
    for (let i = attrs.length - 1; i > 0; i--) {
      const j = g.int(0, i);
      [attrs[i], attrs[j]] = [attrs[j], attrs[i]];
    }
    // Every attribute may have been left out: then it is a withdrawal again.
    plain &&= attrs.length === 0 ? !hasNlri && w.bytes.length > 0 : hasNlri && mandatory === 3 && !martian && !badPath && !extra;
  }
  const b = body(Buffer.concat(attrs), n.bytes, w.bytes);
  const heads = [0, 2 + w.bytes.length];
  let p = 4 + w.bytes.length;
  for (const a of attrs) heads.push(p), (p += a.length);
  return { body: b, plain, clusterId, heads, withdrawn: w.bytes, attrs, nlri: n.bytes };
}

/**
 * Damage a body: first at the structure (a length, flags or type; or one attribute's value resized
 * or the attribute dropped with every length still right), then at random octets.
 */
function mutate(g: Gen, c: Case): Buffer {
  let b: Buffer = Buffer.from(c.body);
  const h = g.pick(c.heads);
  switch (g.int(0, 7)) {
    case 0: // a length field ±
      if (h === 0 || h === c.heads[1]) b.writeUInt16BE((b.readUInt16BE(h) + g.pick([-2, -1, 1, 2, 4])) & 0xffff, h);
      else if (g.chance(0.2)) b[h + 2] = 0; // an empty value, for the kinds where that is an error
      else b[h + 2] = (b[h + 2] + g.pick([-4, -1, 1, 4])) & 255;
      break;
    case 1: // flags
      if (h > c.heads[1]) b[h] = g.pick([0x00, 0x40, 0x80, 0xc0, 0xe0, 0x50, 0xd0, 0x10, g.int(0, 255)]);
      break;
    case 2: // type
      if (h > c.heads[1]) b[h + 1] = g.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, g.int(0, 255)]);
      break;
    case 3: // one value resized: empty, an octet short, an octet long
    case 4: {
      if (c.attrs.length === 0) break;
      const i = g.int(0, c.attrs.length - 1);
      const a = c.attrs[i];
      const v = a.subarray(a[0] & 0x10 ? 4 : 3);
      const resized = g.pick([v.subarray(0, 0), v.subarray(0, Math.max(0, v.length - 1)), Buffer.concat([v, g.bytes(1)])]);
      const attrs = c.attrs.map((x, k) => (k === i ? attr(g, a[0] & 0xe0, a[1], resized) : x));
      b = body(Buffer.concat(attrs), c.nlri, c.withdrawn);
      break;
    }
    case 5: {
      // one attribute dropped
      if (c.attrs.length === 0) break;
      const i = g.int(0, c.attrs.length - 1);
      b = body(Buffer.concat(c.attrs.filter((_, k) => k !== i)), c.nlri, c.withdrawn);
      break;
    }
    default:
      break;
  }
  for (let k = g.int(0, 3); k > 0; k--) {
    const at = b.length > 0 ? g.int(0, b.length - 1) : 0;
    switch (g.int(0, 4)) {
      case 0:
        if (b.length) b[at] ^= 1 << g.int(0, 7);
        break;
      case 1:
        if (b.length) b[at] = g.int(0, 255);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), g.bytes(g.int(1, 4)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + g.int(1, 4))]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** The prefixes of buf[start, end) as the scan's offsets lead to them, read independently of decodeNlri. */
function walkPrefixes(buf: Buffer, start: number, end: number): { addrs: number[]; lens: number[]; hostBits: boolean } {
  const addrs: number[] = [];
  const lens: number[] = [];
  let hostBits = false;
  for (let p = start; p < end; ) {
    const len = buf[p++];
    let a = 0;
    for (let k = 0; k < (len + 7) >> 3; k++) a |= buf[p++] << (24 - 8 * k);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((a >>> 0) & ~mask) !== 0) hostBits = true;
    addrs.push((a & mask) >>> 0);
    lens.push(len);
  }
  return { addrs, lens, hostBits };
}

const SCANNED_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 32]);

/** The types of a well-formed attribute list, in order. */
function attrTypes(buf: Buffer, start: number, end: number): number[] {
  const out: number[] = [];
  for (let p = start; p < end; ) {
    const ext = buf[p] & 0x10;
    out.push(buf[p + 1]);
    p += (ext ? 4 : 3) + (ext ? buf.readUInt16BE(p + 2) : buf[p + 2]);
  }
  return out;
}

function listOf(l: PrefixList): { addrs: number[]; lens: number[] } {
  return { addrs: Array.from(l.addrs.subarray(0, l.count)), lens: Array.from(l.lens.subarray(0, l.count)) };
}

interface Stats {
  cases: number;
  scanTrue: number;
  generated: number;
  generatedTrue: number;
}

/** Run one body through both; throw with the bytes when they disagree. */
function differential(b: Buffer, clusterId: number, out: UpdateScan, stats: Stats, expectPlain?: boolean): void {
  const fail = (why: string) => {
    throw new Error(`${why}\n body ${b.toString('hex')} clusterId ${clusterId}`);
  };
  const { buf, start, end } = framed(b, stats.cases % 2 === 1);
  let ok = false;
  try {
    ok = scanUpdate(buf, start, end, LOCAL_AS, clusterId, out);
  } catch (e) {
    fail(`scanUpdate threw ${String(e)}`);
  }
  stats.cases++;
  if (ok) stats.scanTrue++;
  if (expectPlain !== undefined) {
    stats.generated++;
    if (ok) stats.generatedTrue++;
    if (ok !== expectPlain) fail(`scan says ${ok}, the generator built ${expectPlain ? 'a plain' : 'a non-plain'} UPDATE`);
  }
  let m: UpdateMessage | null = null;
  try {
    m = decodeUpdate(buf, start, end, CTX4, { attrKey: true });
  } catch (e) {
    if (!(e instanceof BgpWireError)) fail(`decodeUpdate threw ${String(e)}`);
  }
  // What plain means, judged from the decoder's answer: a clean decode of known attributes only,
  // no host bits, and NLRI with attributes or withdrawals without any.
  let plain = m !== null && !m.attrErrors && !m.treatAsWithdraw;
  if (plain && m) {
    const wd = walkPrefixes(buf, start + 2, start + 2 + buf.readUInt16BE(start));
    const as = start + 4 + buf.readUInt16BE(start);
    const ae = as + buf.readUInt16BE(as - 2);
    const nl = walkPrefixes(buf, ae, end);
    const types = attrTypes(buf, as, ae);
    const shape = m.nlri.count > 0 ? types.length > 0 : m.withdrawn.count > 0 && types.length === 0;
    plain = shape && !wd.hostBits && !nl.hostBits && types.every((t) => SCANNED_TYPES.has(t));
  }
  if (ok !== plain) fail(`scan says ${ok}, the decoder says ${plain ? 'plain' : 'not plain'}`);
  if (!ok || !m) return;
  const a = m.attributes;
  const eq = (got: unknown, want: unknown, what: string) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: scan ${JSON.stringify(got)}, decoder ${JSON.stringify(want)}`);
  };
  eq(out.withdrawnCount, m.withdrawn.count, 'withdrawn count');
  eq(out.nlriCount, m.nlri.count, 'NLRI count');
  eq([out.wStart, out.aEnd === out.nStart, out.nEnd], [start + 2, true, end], 'field offsets');
  const { hostBits: _w, ...wd } = walkPrefixes(buf, out.wStart, out.wEnd);
  const { hostBits: _n, ...nl } = walkPrefixes(buf, out.nStart, out.nEnd);
  eq(wd, listOf(m.withdrawn), 'withdrawn prefixes');
  eq(nl, listOf(m.nlri), 'NLRI prefixes');
  const key = m.attrKey!;
  if (!key.equals(buf.subarray(out.aStart, out.aEnd))) fail('attribute range differs from the decoder attrKey');
  eq(out.hash, hashBytes(key, 0, key.length), 'hash');
  if (out.nlriCount === 0) {
    eq(a, {}, 'attributes of a withdrawal');
    return;
  }
  const path = a.asPath!;
  const first = path[0];
  eq(out.origin, a.origin, 'ORIGIN');
  eq(out.nextHop, parseIpv4(a.nextHop!), 'NEXT_HOP');
  eq([out.hasLocalPref, out.localPref], [a.localPref !== undefined, a.localPref ?? 0], 'LOCAL_PREF');
  eq([out.hasMed, out.med], [a.med !== undefined, a.med ?? 0], 'MED');
  eq(out.asPathLen, asPathLength(path), 'AS path length');
  eq(out.neighborAs, first && (first.type === 2 || first.type === 1) && first.asns.length ? first.asns[0] : 0, 'neighbour AS');
  eq(out.localAsCount, path.reduce((k, s) => k + s.asns.filter((x) => x === LOCAL_AS).length, 0), 'local AS count');
  eq([out.hasOriginatorId, out.originatorId], [a.originatorId !== undefined, a.originatorId ?? 0], 'ORIGINATOR_ID');
  eq(out.clusterListLen, a.clusterList?.length ?? 0, 'CLUSTER_LIST length');
  eq(out.clusterHit, clusterId >= 0 && (a.clusterList ?? []).includes(clusterId), 'cluster hit');
}

describe('scanUpdate against decodeUpdate', () => {
  it('agrees on generated UPDATEs and their mutations', () => {
    const g = new Gen(prng(0x5ca9));
    const stats: Stats = { cases: 0, scanTrue: 0, generated: 0, generatedTrue: 0 };
    const out = new UpdateScan(); // one result for every case, as the ingest path uses it
    for (let i = 0; i < 6000; i++) {
      const c = generate(g);
      differential(c.body, c.clusterId, out, stats, c.plain);
      for (let k = 0; k < 3; k++) differential(mutate(g, c), c.clusterId, out, stats);
    }
    // Random bodies too: nothing but the bounds to hold on to.
    for (let i = 0; i < 2000; i++) differential(g.bytes(g.int(0, 64)), -1, out, stats);
    expect(stats.generated).toBe(6000);
    // The generator builds mostly plain UPDATEs; the scan must take them (and only them).
    expect(stats.generatedTrue / stats.generated).toBeGreaterThan(0.5);
    expect(stats.scanTrue).toBeGreaterThan(stats.generatedTrue);
    console.log(`scan differential: ${stats.cases} cases, ${stats.scanTrue} plain; ${stats.generated} unmutated, ${stats.generatedTrue} plain`);
  });
});
