// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4) for IPv4 and IPv6 unicast/multicast: IPv4
// next hop, IPv6 global (+ link-local) next hop (RFC 2545 §3), and an IPv6 next hop for IPv4 NLRI
// (RFC 8950 §3). A malformed MP attribute resets the session (RFC 7606 §7.11: its NLRI cannot be
// located, so nothing could be withdrawn); a family we do not speak is discarded with a note.
import { ipv4ToString, parseIpv4, readIpv6, readU16, readU32, writeIpv6 } from '../addr.js';
import { ATTR, UPDATE_ERR } from '../constants.js';
import { BgpWireError, encodeError } from '../errors.js';
import { decodeNlri, nlriWireSize, writeNlri } from '../nlri.js';
import { AFI, SAFI, type Afi, type CodecContext, type MpReach, type PrefixList } from '../types.js';
import { discard, OPTIONAL_NON_TRANSITIVE, reset, type AttrCoder } from './table.js';

const OPT = UPDATE_ERR.OPTIONAL_ATTRIBUTE_ERROR;

export function addPathFor(ctx: CodecContext, afi: Afi): boolean {
  return afi === AFI.IPv4 ? ctx.addPath.ipv4 : ctx.addPath.ipv6;
}

const supported = (afi: number, safi: number): afi is Afi =>
  (afi === AFI.IPv4 || afi === AFI.IPv6) && (safi === SAFI.Unicast || safi === SAFI.Multicast);

function decodeNextHops(v: Buffer, off: number, len: number, afi: Afi): string[] | null {
  if (afi === AFI.IPv4 && len === 4) return [ipv4ToString(readU32(v, off))];
  // RFC 2545 §3 (IPv6) and RFC 8950 §3 (IPv4 NLRI over IPv6 next hop): 16 global, or 32 global + link-local.
  if (len === 16) return [readIpv6(v, off)];
  if (len === 32) return [readIpv6(v, off), readIpv6(v, off + 16)];
  return null;
}

function nlriOrError(v: Buffer, start: number, end: number, afi: Afi, addPath: boolean, what: string): PrefixList | string {
  try {
    return decodeNlri(v, start, end, afi, addPath, (why) => new BgpWireError('update-malformed-mp-attribute', why));
  } catch (e) {
    if (e instanceof BgpWireError) return `${what} NLRI: ${e.message}`;
    throw e;
  }
}

export const mpReach: AttrCoder = {
  type: ATTR.MP_REACH_NLRI,
  name: 'MP_REACH_NLRI',
  flags: OPTIONAL_NON_TRANSITIVE,
  decode(v, s, e, st) {
    if (e - s < 5) return reset(OPT, `MP_REACH_NLRI length ${e - s}`);
    const afi = readU16(v, s);
    const safi = v[s + 2];
    const nhLen = v[s + 3];
    if (s + 5 + nhLen > e) return reset(OPT, `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`);
    if (!supported(afi, safi)) return discard(OPT, `MP_REACH_NLRI for unsupported AFI/SAFI ${afi}/${safi}`);
    const nextHops = decodeNextHops(v, s + 4, nhLen, afi);
    if (!nextHops) return reset(OPT, `MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`);
    // The octet after the next hop is Reserved (formerly SNPA count, RFC 4760 §3): ignored.
    const nlri = nlriOrError(v, s + 5 + nhLen, e, afi, addPathFor(st.ctx, afi), 'MP_REACH_NLRI');
    if (typeof nlri === 'string') return reset(OPT, nlri);
    st.attrs.mpReach = { afi, safi, nextHops, nlri };
    return null;
  },
  encode(a, ctx) {
    const m = a.mpReach;
    if (!m) return null;
    const head = mpReachHead(m);
    const ap = addPathFor(ctx, m.afi);
    const b = Buffer.alloc(head.length + nlriWireSize(m.nlri, 0, m.nlri.count, ap));
    head.copy(b, 0);
    writeNlri(m.nlri, 0, m.nlri.count, ap, b, head.length);
    return b;
  },
};

export const mpUnreach: AttrCoder = {
  type: ATTR.MP_UNREACH_NLRI,
  name: 'MP_UNREACH_NLRI',
  flags: OPTIONAL_NON_TRANSITIVE,
  decode(v, s, e, st) {
    if (e - s < 3) return reset(OPT, `MP_UNREACH_NLRI length ${e - s}`);
    const afi = readU16(v, s);
    const safi = v[s + 2];
    if (!supported(afi, safi)) return discard(OPT, `MP_UNREACH_NLRI for unsupported AFI/SAFI ${afi}/${safi}`);
    const nlri = nlriOrError(v, s + 3, e, afi, addPathFor(st.ctx, afi), 'MP_UNREACH_NLRI');
    if (typeof nlri === 'string') return reset(OPT, nlri);
    st.attrs.mpUnreach = { afi, safi, nlri };
    return null;
  },
  encode(a, ctx) {
    const m = a.mpUnreach;
    if (!m) return null;
    const ap = addPathFor(ctx, m.afi);
    const b = Buffer.alloc(3 + nlriWireSize(m.nlri, 0, m.nlri.count, ap));
    mpUnreachHead(m.afi, m.safi).copy(b, 0);
    writeNlri(m.nlri, 0, m.nlri.count, ap, b, 3);
    return b;
  },
};

function checkFamily(afi: number, safi: number): void {
  if (afi !== AFI.IPv4 && afi !== AFI.IPv6) throw encodeError(`AFI ${afi}`);
  if (!(Number.isInteger(safi) && safi >= 0 && safi <= 255)) throw encodeError(`SAFI ${safi}`);
}

/** AFI, SAFI, next hop length, next hop(s), reserved octet: the MP_REACH_NLRI value before the NLRI. */
export function mpReachHead(m: Pick<MpReach, 'afi' | 'safi' | 'nextHops'>): Buffer {
  checkFamily(m.afi, m.safi);
  const hops = m.nextHops;
  if (hops.length < 1 || hops.length > 2) throw encodeError(`MP_REACH_NLRI with ${hops.length} next hops`);
  const v4 = m.afi === AFI.IPv4 && hops.length === 1 && !hops[0].includes(':');
  const nhLen = v4 ? 4 : 16 * hops.length;
  const b = Buffer.alloc(5 + nhLen);
  b.writeUInt16BE(m.afi, 0);
  b[2] = m.safi;
  b[3] = nhLen;
  if (v4) {
    const a = parseIpv4(hops[0]);
    if (a === null) throw encodeError(`next hop ${hops[0]}`);
    b.writeUInt32BE(a, 4);
  } else {
    hops.forEach((h, i) => {
      if (!writeIpv6(h, b, 4 + 16 * i)) throw encodeError(`IPv6 next hop ${h}`);
    });
  }
  return b;
}

/** AFI, SAFI: the MP_UNREACH_NLRI value before the withdrawn routes. */
export function mpUnreachHead(afi: Afi, safi: number): Buffer {
  checkFamily(afi, safi);
  return Buffer.from([afi >> 8, afi & 255, safi]);
}
