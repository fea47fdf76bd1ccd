// Capabilities advertisement (RFC 5492): one table of coders keyed by capability code, each
// turning the capability value into a typed Capability and back. Unknown codes, and known ones whose
// value we cannot represent (e.g. an ADD-PATH mode of 0), are kept as {kind: 'unknown'} with their
// bytes, so a session can still see and log them. In per-family lists (graceful restart, ADD-PATH,
// LLGR, extended next hop) families of AFIs other than IPv4/IPv6 are left out: we cannot speak them,
// and negotiation only intersects families. A known capability with a wrong length is an OPEN
// Message Error (BIRD answers the same; guessing at its meaning would misnegotiate).
import { readU16, readU32 } from './addr.js';
import { CAP, ERR, OPEN_ERR } from './constants.js';
import { BgpWireError, encodeError } from './errors.js';
import type { AddPathMode, Afi, Capability } from './types.js';

type Kind = Capability['kind'];

interface CapCoder<K extends Kind> {
  code: number;
  kind: K;
  /** null: representable only as unknown. Throws BgpWireError on a malformed value. */
  decode(v: Buffer): Extract<Capability, { kind: K }> | null;
  encode(c: Extract<Capability, { kind: K }>): Buffer;
}

function malformed(name: string, why: string): BgpWireError {
  return new BgpWireError('open-malformed-capability', `malformed ${name} capability: ${why}`, ERR.OPEN, OPEN_ERR.UNSPECIFIC);
}

const isAfi = (a: number): a is Afi => a === 1 || a === 2;

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function empty<K extends 'route-refresh' | 'extended-message' | 'enhanced-route-refresh'>(code: number, kind: K): CapCoder<K> {
  return {
    code,
    kind,
    decode(v) {
      if (v.length !== 0) throw malformed(kind, `length ${v.length}, expected 0`);
      return { kind } as Extract<Capability, { kind: K }>;
    },
    encode: () => Buffer.alloc(0),
  };
}

const multiprotocol: CapCoder<'multiprotocol'> = {
  code: CAP.MULTIPROTOCOL,
  kind: 'multiprotocol',
  // RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
  decode(v) {
    if (v.length !== 4) throw malformed('multiprotocol', `length ${v.length}, expected 4`);
    const afi = readU16(v, 0);
    return isAfi(afi) ? { kind: 'multiprotocol', afi, safi: v[3] } : null;
  },
  encode: (c) => Buffer.from([c.afi >> 8, c.afi & 255, 0, c.safi]),
};

const extendedNexthop: CapCoder<'extended-nexthop'> = {
  code: CAP.EXTENDED_NEXTHOP,
  kind: 'extended-nexthop',
  // RFC 8950 §3: tuples of NLRI AFI (2), NLRI SAFI (2), Nexthop AFI (2).
  decode(v) {
    if (v.length % 6 !== 0) throw malformed('extended next hop', `length ${v.length} not a multiple of 6`);
    const entries: { afi: Afi; safi: number; nextHopAfi: Afi }[] = [];
    for (let o = 0; o < v.length; o += 6) {
      const afi = readU16(v, o);
      const nh = readU16(v, o + 4);
      if (isAfi(afi) && isAfi(nh)) entries.push({ afi, safi: readU16(v, o + 2), nextHopAfi: nh });
    }
    return { kind: 'extended-nexthop', entries };
  },
  encode: (c) => Buffer.concat(c.entries.map((e) => Buffer.concat([u16(e.afi), u16(e.safi), u16(e.nextHopAfi)]))),
};

const gracefulRestart: CapCoder<'graceful-restart'> = {
  code: CAP.GRACEFUL_RESTART,
  kind: 'graceful-restart',
  // RFC 4724 §3: Restart Flags (4 bits: R, N of RFC 8538), Restart Time (12 bits), then per family
  // AFI (2), SAFI (1), Flags (1, high bit = forwarding state preserved).
  decode(v) {
    if (v.length < 2 || (v.length - 2) % 4 !== 0) throw malformed('graceful restart', `length ${v.length}`);
    const families: { afi: Afi; safi: number; forwarding: boolean }[] = [];
    for (let o = 2; o < v.length; o += 4) {
      const afi = readU16(v, o);
      if (isAfi(afi)) families.push({ afi, safi: v[o + 2], forwarding: (v[o + 3] & 0x80) !== 0 });
    }
    return {
      kind: 'graceful-restart',
      restarting: (v[0] & 0x80) !== 0,
      notification: (v[0] & 0x40) !== 0,
      restartTime: readU16(v, 0) & 0x0fff,
      families,
    };
  },
  encode(c) {
    if (!(c.restartTime >= 0 && c.restartTime <= 0xfff)) throw encodeError(`restart time ${c.restartTime} exceeds 12 bits`);
    const b = Buffer.alloc(2 + 4 * c.families.length);
    b.writeUInt16BE((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTime, 0);
    c.families.forEach((f, i) => {
      b.writeUInt16BE(f.afi, 2 + 4 * i);
      b[4 + 4 * i] = f.safi;
      b[5 + 4 * i] = f.forwarding ? 0x80 : 0;
    });
    return b;
  },
};

const as4: CapCoder<'as4'> = {
  code: CAP.AS4,
  kind: 'as4',
  decode(v) {
    if (v.length !== 4) throw malformed('4-octet AS', `length ${v.length}, expected 4`);
    return { kind: 'as4', asn: readU32(v, 0) };
  },
  encode(c) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(c.asn >>> 0, 0);
    return b;
  },
};

const addPathModes: Record<number, AddPathMode> = { 1: 'receive', 2: 'send', 3: 'both' };
const addPathCodes: Record<AddPathMode, number> = { receive: 1, send: 2, both: 3 };

const addPath: CapCoder<'add-path'> = {
  code: CAP.ADD_PATH,
  kind: 'add-path',
  // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1). Another Send/Receive value means the
  // capability "SHOULD be treated as not understood": kept as unknown.
  decode(v) {
    if (v.length % 4 !== 0) throw malformed('ADD-PATH', `length ${v.length} not a multiple of 4`);
    const families: { afi: Afi; safi: number; mode: AddPathMode }[] = [];
    for (let o = 0; o < v.length; o += 4) {
      const mode = addPathModes[v[o + 3]];
      if (!mode) return null;
      const afi = readU16(v, o);
      if (isAfi(afi)) families.push({ afi, safi: v[o + 2], mode });
    }
    return { kind: 'add-path', families };
  },
  encode: (c) => Buffer.concat(c.families.map((f) => Buffer.from([f.afi >> 8, f.afi & 255, f.safi, addPathCodes[f.mode]]))),
};

const llgr: CapCoder<'llgr'> = {
  code: CAP.LLGR,
  kind: 'llgr',
  // draft-ietf-idr-long-lived-gr §3: AFI (2), SAFI (1), Flags (1, F bit 0x80), Stale Time (3).
  decode(v) {
    if (v.length % 7 !== 0) throw malformed('long-lived graceful restart', `length ${v.length} not a multiple of 7`);
    const families: { afi: Afi; safi: number; forwarding: boolean; staleTime: number }[] = [];
    for (let o = 0; o < v.length; o += 7) {
      const afi = readU16(v, o);
      const staleTime = (v[o + 4] << 16) | (v[o + 5] << 8) | v[o + 6];
      if (isAfi(afi)) families.push({ afi, safi: v[o + 2], forwarding: (v[o + 3] & 0x80) !== 0, staleTime });
    }
    return { kind: 'llgr', families };
  },
  encode(c) {
    const b = Buffer.alloc(7 * c.families.length);
    c.families.forEach((f, i) => {
      if (!(f.staleTime >= 0 && f.staleTime <= 0xffffff)) throw encodeError(`LLGR stale time ${f.staleTime} exceeds 24 bits`);
      const o = 7 * i;
      b.writeUInt16BE(f.afi, o);
      b[o + 2] = f.safi;
      b[o + 3] = f.forwarding ? 0x80 : 0;
      b[o + 4] = f.staleTime >>> 16;
      b[o + 5] = (f.staleTime >>> 8) & 255;
      b[o + 6] = f.staleTime & 255;
    });
    return b;
  },
};

const fqdn: CapCoder<'fqdn'> = {
  code: CAP.FQDN,
  kind: 'fqdn',
  // draft-walton-bgp-hostname-capability: Hostname Length (1), Hostname, Domain Length (1), Domain.
  decode(v) {
    if (v.length < 1) throw malformed('FQDN', 'empty');
    const hl = v[0];
    if (1 + hl + 1 > v.length) throw malformed('FQDN', 'hostname overruns the value');
    const dl = v[1 + hl];
    if (2 + hl + dl !== v.length) throw malformed('FQDN', 'domain length does not match');
    return { kind: 'fqdn', hostname: v.toString('utf8', 1, 1 + hl), domain: v.toString('utf8', 2 + hl, 2 + hl + dl) };
  },
  encode(c) {
    const h = Buffer.from(c.hostname, 'utf8');
    const d = Buffer.from(c.domain, 'utf8');
    if (h.length > 255 || d.length > 255) throw encodeError('FQDN hostname or domain longer than 255 bytes');
    return Buffer.concat([Buffer.from([h.length]), h, Buffer.from([d.length]), d]);
  },
};

const coders: CapCoder<Kind>[] = [
  multiprotocol,
  empty(CAP.ROUTE_REFRESH, 'route-refresh'),
  extendedNexthop,
  empty(CAP.EXTENDED_MESSAGE, 'extended-message'),
  gracefulRestart,
  as4,
  addPath,
  empty(CAP.ENHANCED_ROUTE_REFRESH, 'enhanced-route-refresh'),
  llgr,
  fqdn,
] as unknown as CapCoder<Kind>[];

const byCode = new Map<number, CapCoder<Kind>>(coders.map((c) => [c.code, c]));
const byKind = new Map<Kind, CapCoder<Kind>>(coders.map((c) => [c.kind, c]));

/** Decode one capability value (copied: the result never aliases `value`). */
export function decodeCapability(code: number, value: Buffer): Capability {
  const coder = byCode.get(code);
  const decoded = coder ? coder.decode(value) : null;
  return decoded ?? { kind: 'unknown', code, value: Buffer.from(value) };
}

/** Decode a Capabilities optional parameter value: a run of (code, length, value) triples. */
export function decodeCapabilities(v: Buffer, out: Capability[]): void {
  let o = 0;
  while (o < v.length) {
    if (o + 2 > v.length) throw malformed('capabilities', 'truncated capability header');
    const code = v[o];
    const len = v[o + 1];
    if (o + 2 + len > v.length) throw malformed('capabilities', `capability ${code} overruns the parameter`);
    out.push(decodeCapability(code, v.subarray(o + 2, o + 2 + len)));
    o += 2 + len;
  }
}

/** Encode one capability as code, length, value. */
export function encodeCapability(c: Capability): Buffer {
  let code: number;
  let value: Buffer;
  if (c.kind === 'unknown') {
    code = c.code;
    value = c.value;
  } else {
    const coder = byKind.get(c.kind);
    if (!coder) throw encodeError(`unknown capability kind ${String((c as { kind: unknown }).kind)}`);
    code = coder.code;
    value = coder.encode(c);
  }
  if (!(code >= 0 && code <= 255)) throw encodeError(`capability code ${code}`);
  if (value.length > 255) throw encodeError(`capability ${code} value of ${value.length} bytes exceeds 255`);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}
