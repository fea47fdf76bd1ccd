// rtnetlink message layout for the few messages fib/ sends and reads: routes, neighbours (including
// VXLAN fdb entries) and links. Pure: writes into a caller's buffer, parses a received datagram;
// no sockets. Layouts are the kernel's uapi (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h).
import { formatAddress, type Family } from './ip.js';

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
const RTN_UNICAST = 1;
const RTN_BLACKHOLE = 6;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_NOWHERE = 255;
const RT_TABLE_COMPAT = 252;
const RTNH_F_ONLINK = 4;

const NDA_DST = 1;
const NDA_LLADDR = 2;
const NDA_PROTOCOL = 12;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;

const IFLA_IFNAME = 3;
export const IFF_UP = 0x1;

const NLMSG_HDRLEN = 16;
const align = (n: number) => (n + 3) & ~3;

/** A route as the kernel holds it, in the terms fib/ compares. */
export interface KernelRoute {
  family: Family;
  dst: Uint8Array;
  dstLen: number;
  table: number;
  protocol: number;
  type: 'unicast' | 'blackhole' | 'other';
  priority: number;
  nextHops: { gateway: Uint8Array | null; ifindex: number; onlink: boolean }[];
}

/** What to write for a route. Next hops carry resolved ifindexes (0: let the kernel find it). */
export interface RouteSpec {
  family: Family;
  dst: Uint8Array;
  dstLen: number;
  table: number;
  protocol: number;
  type: 'unicast' | 'blackhole';
  nextHops: { gateway: Uint8Array; ifindex: number; onlink: boolean }[];
}

/** Writes netlink messages one after another into a growing buffer. */
export class MessageWriter {
  buf: Buffer;
  length = 0;
  count = 0;
  #start = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.length = 0;
    this.count = 0;
  }

  #ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  begin(type: number, flags: number, seq: number): void {
    this.#ensure(NLMSG_HDRLEN);
    this.#start = this.length;
    const b = this.buf;
    const o = this.length;
    b.writeUInt32LE(0, o);
    b.writeUInt16LE(type, o + 4);
    b.writeUInt16LE(flags, o + 6);
    b.writeUInt32LE(seq >>> 0, o + 8);
    b.writeUInt32LE(0, o + 12);
    this.length += NLMSG_HDRLEN;
  }

  bytes(data: ArrayLike<number>): void {
    const n = align(data.length);
    this.#ensure(n);
    const b = this.buf;
    for (let i = 0; i < data.length; i++) b[this.length + i] = data[i];
    b.fill(0, this.length + data.length, this.length + n);
    this.length += n;
  }

  u8s(...v: number[]): void {
    this.bytes(v);
  }

  zero(n: number): void {
    this.#ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  u32At(offset: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, offset);
  }

  attr(type: number, data: ArrayLike<number>): void {
    this.#ensure(4 + align(data.length));
    this.buf.writeUInt16LE(4 + data.length, this.length);
    this.buf.writeUInt16LE(type, this.length + 2);
    this.length += 4;
    this.bytes(data);
  }

  attrU32(type: number, v: number): void {
    this.#ensure(8);
    this.buf.writeUInt16LE(8, this.length);
    this.buf.writeUInt16LE(type, this.length + 2);
    this.buf.writeUInt32LE(v >>> 0, this.length + 4);
    this.length += 8;
  }

  /** Open a nested attribute; returns its offset for `close`. */
  open(type: number): number {
    this.#ensure(4);
    const at = this.length;
    this.buf.writeUInt16LE(0, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.length += 4;
    return at;
  }

  close(at: number): void {
    this.buf.writeUInt16LE(this.length - at, at);
  }

  end(): void {
    this.buf.writeUInt32LE(this.length - this.#start, this.#start);
    this.count++;
  }

  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function rtmsg(w: MessageWriter, r: { family: Family; dstLen: number; table: number; protocol: number }, scope: number, type: number, flags: number): void {
  w.u8s(r.family === 4 ? AF_INET : AF_INET6, r.dstLen, 0, 0, r.table < 256 ? r.table : RT_TABLE_COMPAT, r.protocol, scope, type);
  w.zero(4);
  w.u32At(w.length - 4, flags);
}

/** RTM_NEWROUTE with the given netlink flags (CREATE|EXCL to add, CREATE|REPLACE to replace). */
export function writeNewRoute(w: MessageWriter, seq: number, nlFlags: number, r: RouteSpec): void {
  w.begin(RTM_NEWROUTE, NLM_F_REQUEST | nlFlags, seq);
  const single = r.type === 'unicast' && r.nextHops.length === 1 ? r.nextHops[0] : null;
  rtmsg(w, r, RT_SCOPE_UNIVERSE, r.type === 'blackhole' ? RTN_BLACKHOLE : RTN_UNICAST, single?.onlink ? RTNH_F_ONLINK : 0);
  w.attr(RTA_DST, r.dst);
  w.attrU32(RTA_TABLE, r.table);
  if (single) {
    w.attr(RTA_GATEWAY, single.gateway);
    if (single.ifindex) w.attrU32(RTA_OIF, single.ifindex);
  } else if (r.type === 'unicast') {
    const mp = w.open(RTA_MULTIPATH);
    for (const nh of r.nextHops) {
      const at = w.length;
      // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex; } then its own attributes.
      w.zero(8);
      w.buf.writeUInt8(nh.onlink ? RTNH_F_ONLINK : 0, at + 2);
      w.buf.writeInt32LE(nh.ifindex, at + 4);
      w.attr(RTA_GATEWAY, nh.gateway);
      w.buf.writeUInt16LE(w.length - at, at);
    }
    w.close(mp);
  }
  w.end();
}

/**
 * RTM_DELROUTE for our route to a prefix: protocol set so the kernel only ever matches a route of
 * ours (fib_table_delete and ip6_route_del both skip routes whose protocol differs), scope NOWHERE
 * and type 0 as wildcards, no next hop so an IPv6 multipath route goes as a whole.
 */
export function writeDelRoute(w: MessageWriter, seq: number, r: { family: Family; dst: Uint8Array; dstLen: number; table: number; protocol: number }): void {
  w.begin(RTM_DELROUTE, NLM_F_REQUEST, seq);
  rtmsg(w, r, RT_SCOPE_NOWHERE, 0, 0);
  w.attr(RTA_DST, r.dst);
  w.attrU32(RTA_TABLE, r.table);
  w.end();
}

export function writeRouteDump(w: MessageWriter, seq: number, family: Family): void {
  w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.u8s(family === 4 ? AF_INET : AF_INET6, 0, 0, 0, 0, 0, 0, 0);
  w.zero(4);
  w.end();
}

export function writeLinkDump(w: MessageWriter, seq: number): void {
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.zero(16); // struct ifinfomsg
  w.end();
}

export interface NeighSpec {
  /** AF_INET/AF_INET6 for an ARP/NDP entry, AF_BRIDGE for an fdb entry. */
  family: number;
  ifindex: number;
  /** NDA_DST: the neighbour's address, or the remote node for an fdb entry. */
  dst: Uint8Array;
  mac: Uint8Array;
  /** NDA_PROTOCOL (neighbours only): marks the entry ours, so a restart can find it again. */
  protocol?: number;
}

/** A neighbour or fdb entry as a dump shows it. */
export interface KernelNeigh {
  family: number;
  ifindex: number;
  permanent: boolean;
  self: boolean;
  dst: Uint8Array | null;
  mac: Uint8Array | null;
  protocol: number;
}

/** RTM_NEWNEIGH (CREATE|REPLACE) or RTM_DELNEIGH of a permanent entry. */
export function writeNeigh(w: MessageWriter, seq: number, op: 'set' | 'delete', n: NeighSpec): void {
  w.begin(op === 'set' ? RTM_NEWNEIGH : RTM_DELNEIGH, NLM_F_REQUEST | (op === 'set' ? NLM_F_CREATE | NLM_F_REPLACE : 0), seq);
  // struct ndmsg { u8 family; u8 pad1; u16 pad2; i32 ifindex; u16 state; u8 flags; u8 type; }
  const at = w.length;
  w.zero(12);
  w.buf.writeUInt8(n.family, at);
  w.buf.writeInt32LE(n.ifindex, at + 4);
  w.buf.writeUInt16LE(NUD_PERMANENT, at + 8);
  // fdb entries live in the VXLAN device's own table (NTF_SELF), as `bridge fdb ... self` writes.
  w.buf.writeUInt8(n.family === AF_BRIDGE ? NTF_SELF : 0, at + 10);
  if (n.family === AF_BRIDGE) {
    w.attr(NDA_LLADDR, n.mac);
    w.attr(NDA_DST, n.dst);
  } else {
    w.attr(NDA_DST, n.dst);
    if (op === 'set') w.attr(NDA_LLADDR, n.mac);
    if (op === 'set' && n.protocol) w.attr(NDA_PROTOCOL, [n.protocol]);
  }
  w.end();
}

export function writeNeighDump(w: MessageWriter, seq: number, family: number): void {
  w.begin(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq);
  w.u8s(family, 0, 0, 0);
  w.zero(8);
  w.end();
}

export function parseNeigh(data: Buffer): KernelNeigh | null {
  if (data.length < 12) return null;
  const n: KernelNeigh = {
    family: data[0],
    ifindex: data.readInt32LE(4),
    permanent: (data.readUInt16LE(8) & NUD_PERMANENT) !== 0,
    self: (data[10] & NTF_SELF) !== 0,
    dst: null,
    mac: null,
    protocol: 0,
  };
  for (const [type, v] of attrs(data, 12)) {
    if (type === NDA_DST) n.dst = Uint8Array.from(v);
    else if (type === NDA_LLADDR) n.mac = Uint8Array.from(v);
    else if (type === NDA_PROTOCOL && v.length >= 1) n.protocol = v[0];
  }
  return n;
}

/** One message of a received datagram. */
export interface RawMessage {
  type: number;
  flags: number;
  seq: number;
  /** Payload (after the 16-byte header). */
  data: Buffer;
}

export function* splitMessages(buf: Buffer): Generator<RawMessage> {
  let o = 0;
  while (o + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(o);
    if (len < NLMSG_HDRLEN || o + len > buf.length) return;
    yield { type: buf.readUInt16LE(o + 4), flags: buf.readUInt16LE(o + 6), seq: buf.readUInt32LE(o + 8), data: buf.subarray(o + NLMSG_HDRLEN, o + len) };
    o += align(len);
  }
}

/** The errno of an NLMSG_ERROR payload (0 for an ACK, positive errno otherwise). */
export function errorCode(data: Buffer): number {
  return data.length >= 4 ? -data.readInt32LE(0) : 0;
}

function* attrs(buf: Buffer, start: number): Generator<[number, Buffer]> {
  let o = start;
  while (o + 4 <= buf.length) {
    const len = buf.readUInt16LE(o);
    if (len < 4 || o + len > buf.length) return;
    yield [buf.readUInt16LE(o + 2) & 0x3fff, buf.subarray(o + 4, o + len)];
    o += align(len);
  }
}

export function parseRoute(data: Buffer): KernelRoute | null {
  if (data.length < 12) return null;
  const af = data[0];
  if (af !== AF_INET && af !== AF_INET6) return null;
  const family: Family = af === AF_INET ? 4 : 6;
  const rtType = data[7];
  const route: KernelRoute = {
    family,
    dst: new Uint8Array(family === 4 ? 4 : 16),
    dstLen: data[1],
    table: data[4],
    protocol: data[5],
    type: rtType === RTN_UNICAST ? 'unicast' : rtType === RTN_BLACKHOLE ? 'blackhole' : 'other',
    priority: 0,
    nextHops: [],
  };
  const flags = data.readUInt32LE(8);
  let gateway: Uint8Array | null = null;
  let oif = 0;
  for (const [type, v] of attrs(data, 12)) {
    if (type === RTA_DST) route.dst = Uint8Array.from(v);
    else if (type === RTA_TABLE && v.length >= 4) route.table = v.readUInt32LE(0);
    else if (type === RTA_PRIORITY && v.length >= 4) route.priority = v.readUInt32LE(0);
    else if (type === RTA_GATEWAY) gateway = Uint8Array.from(v);
    else if (type === RTA_OIF && v.length >= 4) oif = v.readInt32LE(0);
    else if (type === RTA_MULTIPATH) {
      let o = 0;
      while (o + 8 <= v.length) {
        const len = v.readUInt16LE(o);
        if (len < 8 || o + len > v.length) break;
        let gw: Uint8Array | null = null;
        for (const [t, a] of attrs(v.subarray(0, o + len), o + 8)) if (t === RTA_GATEWAY) gw = Uint8Array.from(a);
        route.nextHops.push({ gateway: gw, ifindex: v.readInt32LE(o + 4), onlink: (v[o + 2] & RTNH_F_ONLINK) !== 0 });
        o += align(len);
      }
    }
  }
  if (route.nextHops.length === 0 && route.type === 'unicast') route.nextHops.push({ gateway, ifindex: oif, onlink: (flags & RTNH_F_ONLINK) !== 0 });
  return route;
}

const RTA_IIF = 3;
const RTM_F_CLONED = 0x200;

/** The rtmsg header fields and attributes `parseRoute` leaves out, for readers of others' routes. */
export interface RouteHeader {
  /** rtm_type as the kernel numbers it (RTN_UNICAST 1 … RTN_PROHIBIT 8 …). */
  rtType: number;
  scope: number;
  tos: number;
  /** RTM_F_CLONED: a cache entry, not a route. */
  cloned: boolean;
  /** RTA_IIF present: a policy/input route. */
  hasIif: boolean;
}

export function parseRouteHeader(data: Buffer): RouteHeader | null {
  if (data.length < 12) return null;
  let hasIif = false;
  for (const [type] of attrs(data, 12)) if (type === RTA_IIF) hasIif = true;
  return { rtType: data[7], scope: data[6], tos: data[3], cloned: (data.readUInt32LE(8) & RTM_F_CLONED) !== 0, hasIif };
}

export interface KernelLink {
  index: number;
  name: string;
  up: boolean;
}

export function parseLink(data: Buffer): KernelLink | null {
  if (data.length < 16) return null;
  const link: KernelLink = { index: data.readInt32LE(4), name: '', up: (data.readUInt32LE(8) & IFF_UP) !== 0 };
  for (const [type, v] of attrs(data, 16)) {
    if (type === IFLA_IFNAME) link.name = v.toString('utf8').replace(/\0.*$/s, '');
  }
  return link;
}

/** Text of address bytes for messages and status. */
export function addressText(b: Uint8Array | null): string {
  return b ? formatAddress(b) : '';
}
