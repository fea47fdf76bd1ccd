// The UPDATE packer of the Adj-RIB-Out: many prefixes sharing one attribute set become as few
// UPDATEs as the size limit allows. Attributes are encoded once; each message is then one
// allocation filled with header, attributes and as many prefixes as fit. IPv4 unicast goes in the
// NLRI / withdrawn routes fields; IPv6 (and IPv4 over an IPv6 next hop, RFC 8950) in MP_REACH_NLRI /
// MP_UNREACH_NLRI, placed first as RFC 7606 §5.1 asks.
import { encodeAttributes } from './attrs/index.js';
import { addPathFor, mpReachHead, mpUnreachHead } from './attrs/mp.js';
import { ATTR, FLAG } from './constants.js';
import { encodeError } from './errors.js';
import { nlriWireSize, prefixWireSize, writeNlri } from './nlri.js';
import { AFI, type Afi, HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, MSG, SAFI, type CodecContext, type PathAttributes, type PrefixList, type Safi } from './types.js';

function limit(ctx: CodecContext, maxLen?: number): number {
  const cap = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LEN : MAX_MESSAGE_LEN;
  return maxLen === undefined ? cap : Math.min(cap, maxLen);
}

function writeHeader(b: Buffer): void {
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(b.length, 16);
  b[18] = MSG.UPDATE;
}

/** Cut [0, count) into runs whose wire size fits `room`; calls emit(from, to, size) per run. */
function runs(list: PrefixList, addPath: boolean, room: number, emit: (from: number, to: number, size: number) => void): void {
  const n = list.count;
  let i = 0;
  while (i < n) {
    let size = 0;
    let j = i;
    while (j < n) {
      const s = prefixWireSize(list, j, addPath);
      if (size + s > room) break;
      size += s;
      j++;
    }
    if (j === i) throw encodeError('attributes leave no room for a prefix in an UPDATE', true);
    emit(i, j, size);
    i = j;
  }
}

/** MP attribute header (Extended Length used only when the value needs it) at b[off]; returns new offset. */
function writeMpAttrHeader(b: Buffer, off: number, type: number, valueLen: number): number {
  if (valueLen > 255) {
    b[off] = FLAG.OPTIONAL | FLAG.EXTENDED_LENGTH;
    b[off + 1] = type;
    b.writeUInt16BE(valueLen, off + 2);
    return off + 4;
  }
  b[off] = FLAG.OPTIONAL;
  b[off + 1] = type;
  b[off + 2] = valueLen;
  return off + 3;
}

/**
 * Path attributes encoded once for a session context, ready to be stamped into many UPDATEs. The
 * Adj-RIB-Out can keep one per (interned attribute set, peer group) and skip re-encoding.
 */
export interface EncodedAttributes {
  readonly kind: 'encoded-attributes';
  /** Every attribute except MP_REACH_NLRI / MP_UNREACH_NLRI, with headers. */
  readonly other: Buffer;
  /** MP_REACH_NLRI value up to its NLRI (AFI, SAFI, next hops, reserved), or null. */
  readonly mpHead: Buffer | null;
  readonly mpAfi: Afi | null;
  /** The context these bytes are valid for (AS width decides the AS_PATH form). */
  readonly as4: boolean;
}

export function encodeAttributesForPacking(attrs: PathAttributes, ctx: CodecContext): EncodedAttributes {
  const other = encodeAttributes(attrs, ctx, { skipMp: true });
  if (other.length > 0xffff) throw encodeError('path attributes exceed 65535 octets', true);
  const mp = attrs.mpReach;
  return { kind: 'encoded-attributes', other, mpHead: mp ? mpReachHead(mp) : null, mpAfi: mp ? mp.afi : null, as4: ctx.as4 };
}

/**
 * UPDATEs announcing `prefixes` with attributes `attrs` (plain, or encoded once by
 * encodeAttributesForPacking). IPv4 prefixes go in the NLRI field unless the attributes carry an
 * IPv4 MP_REACH_NLRI (RFC 8950); IPv6 prefixes need an IPv6 MP_REACH_NLRI (its next hops are used,
 * its nlri ignored). Returns [] for an empty list.
 */
export function packUpdates(attrs: PathAttributes | EncodedAttributes, prefixes: PrefixList, ctx: CodecContext, maxLen?: number): Buffer[] {
  const max = limit(ctx, maxLen);
  const out: Buffer[] = [];
  if (prefixes.count === 0) return out;
  const enc = isEncoded(attrs) ? attrs : encodeAttributesForPacking(attrs, ctx);
  if (enc.as4 !== ctx.as4) throw encodeError('attributes were encoded for the other AS number width');
  const ap = addPathFor(ctx, prefixes.afi);
  const other = enc.other;
  if (prefixes.afi === AFI.IPv4 && enc.mpAfi !== AFI.IPv4) {
    const fixed = HEADER_LEN + 4 + other.length;
    runs(prefixes, ap, max - fixed, (from, to, size) => {
      const b = Buffer.allocUnsafe(fixed + size);
      writeHeader(b);
      b.writeUInt16BE(0, HEADER_LEN);
      b.writeUInt16BE(other.length, HEADER_LEN + 2);
      other.copy(b, HEADER_LEN + 4);
      writeNlri(prefixes, from, to, ap, b, fixed);
      out.push(b);
    });
    return out;
  }
  const head = enc.mpHead;
  if (!head || enc.mpAfi !== prefixes.afi) throw encodeError(`announcing AFI ${prefixes.afi} needs attrs.mpReach with its next hops`);
  // Room is reckoned with the 4-octet (extended length) attribute header, the larger of the two.
  const fixed = HEADER_LEN + 4 + 4 + head.length + other.length;
  runs(prefixes, ap, max - fixed, (from, to, size) => {
    const valueLen = head.length + size;
    const attrHdr = valueLen > 255 ? 4 : 3;
    const attrLen = attrHdr + valueLen + other.length;
    if (attrLen > 0xffff) throw encodeError('path attributes exceed 65535 octets', true);
    const b = Buffer.allocUnsafe(HEADER_LEN + 4 + attrLen);
    writeHeader(b);
    b.writeUInt16BE(0, HEADER_LEN);
    b.writeUInt16BE(attrLen, HEADER_LEN + 2);
    let p = writeMpAttrHeader(b, HEADER_LEN + 4, ATTR.MP_REACH_NLRI, valueLen);
    head.copy(b, p);
    p = writeNlri(prefixes, from, to, ap, b, p + head.length);
    other.copy(b, p);
    out.push(b);
  });
  return out;
}

function isEncoded(a: PathAttributes | EncodedAttributes): a is EncodedAttributes {
  return (a as EncodedAttributes).kind === 'encoded-attributes';
}

/** UPDATEs withdrawing `prefixes`: the withdrawn routes field for IPv4 unicast, else MP_UNREACH_NLRI. */
export function packWithdrawals(prefixes: PrefixList, ctx: CodecContext, maxLen?: number, safi: Safi = SAFI.Unicast): Buffer[] {
  const max = limit(ctx, maxLen);
  const out: Buffer[] = [];
  if (prefixes.count === 0) return out;
  const ap = addPathFor(ctx, prefixes.afi);
  if (prefixes.afi === AFI.IPv4 && safi === SAFI.Unicast) {
    const fixed = HEADER_LEN + 4;
    runs(prefixes, ap, max - fixed, (from, to, size) => {
      const b = Buffer.allocUnsafe(fixed + size);
      writeHeader(b);
      b.writeUInt16BE(size, HEADER_LEN);
      writeNlri(prefixes, from, to, ap, b, HEADER_LEN + 2);
      b.writeUInt16BE(0, HEADER_LEN + 2 + size);
      out.push(b);
    });
    return out;
  }
  const head = mpUnreachHead(prefixes.afi, safi);
  const fixed = HEADER_LEN + 4 + 4 + head.length;
  runs(prefixes, ap, max - fixed, (from, to, size) => {
    const valueLen = head.length + size;
    const attrLen = (valueLen > 255 ? 4 : 3) + valueLen;
    const b = Buffer.allocUnsafe(HEADER_LEN + 4 + attrLen);
    writeHeader(b);
    b.writeUInt16BE(0, HEADER_LEN);
    b.writeUInt16BE(attrLen, HEADER_LEN + 2);
    const p = writeMpAttrHeader(b, HEADER_LEN + 4, ATTR.MP_UNREACH_NLRI, valueLen);
    head.copy(b, p);
    writeNlri(prefixes, from, to, ap, b, p + head.length);
    out.push(b);
  });
  return out;
}

/** Total wire size of a list's prefixes (for callers budgeting socket writes). */
export function prefixesWireSize(list: PrefixList, ctx: CodecContext): number {
  return nlriWireSize(list, 0, list.count, addPathFor(ctx, list.afi));
}
