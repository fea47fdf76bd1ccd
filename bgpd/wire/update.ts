// UPDATE message body (RFC 4271 §4.3): withdrawn routes, path attributes, NLRI. Decoding applies the
// RFC 7606 rules that need the whole message (lengths §4/§5, missing mandatory attributes §3(d)),
// leaving per-attribute rules to the attribute table. End-of-RIB (RFC 4724 §2) is built and
// recognised here too.
import { decodeAttributes, encodeAttributes } from './attrs/index.js';
import { ATTR, UPDATE_ERR } from './constants.js';
import { encodeError, updateError } from './errors.js';
import { decodeNlri, nlriWireSize, writeNlri } from './nlri.js';
import { emptyPrefixList } from './prefix.js';
import { AFI, SAFI, type Afi, type AttrErrorNote, type CodecContext, type Safi, type UpdateMessage } from './types.js';

export interface DecodeOptions {
  /** Fill UpdateMessage.attrKey with a copy of the raw non-MP attribute bytes. */
  attrKey?: boolean;
}

const invalidNetwork = (why: string) => updateError('update-invalid-network-field', UPDATE_ERR.INVALID_NETWORK_FIELD, why);
// Made once, not per UPDATE.
const invalidWithdrawn = (why: string) => invalidNetwork(`withdrawn routes: ${why}`);
const invalidNlri = (why: string) => invalidNetwork(`NLRI: ${why}`);

/** Decode an UPDATE body buf[start, end). */
export function decodeUpdate(buf: Buffer, start: number, end: number, ctx: CodecContext, opts: DecodeOptions = {}): UpdateMessage {
  // RFC 7606 §5.3 / RFC 4271 §6.3: the two length fields must fit the message, else reset.
  if (end - start < 4) throw updateError('update-malformed-lengths', UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, 'UPDATE shorter than its length fields');
  const wlen = (buf[start] << 8) | buf[start + 1];
  const ws = start + 2;
  if (ws + wlen + 2 > end) throw updateError('update-malformed-lengths', UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, `withdrawn routes length ${wlen} overruns the message`);
  const alen = (buf[ws + wlen] << 8) | buf[ws + wlen + 1];
  const as = ws + wlen + 2;
  if (as + alen > end) throw updateError('update-malformed-lengths', UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, `total path attribute length ${alen} overruns the message`);
  const withdrawn = decodeNlri(buf, ws, ws + wlen, AFI.IPv4, ctx.addPath.ipv4, invalidWithdrawn);
  const dec = decodeAttributes(buf, as, as + alen, ctx, opts.attrKey === true);
  const nlri = decodeNlri(buf, as + alen, end, AFI.IPv4, ctx.addPath.ipv4, invalidNlri);
  const a = dec.attrs;
  const notes = dec.notes;
  let taw = dec.treatAsWithdraw;
  // RFC 7606 §3(d): a missing well-known mandatory attribute, when there is NLRI to carry it, is
  // treat-as-withdraw. NEXT_HOP is mandatory only for the NLRI field (RFC 4760 §3).
  if (nlri.count > 0 || (a.mpReach && a.mpReach.nlri.count > 0)) {
    if (a.origin === undefined) taw = missing(notes, ATTR.ORIGIN, 'ORIGIN') || taw;
    if (a.asPath === undefined) taw = missing(notes, ATTR.AS_PATH, 'AS_PATH') || taw;
    if (nlri.count > 0 && a.nextHop === undefined) taw = missing(notes, ATTR.NEXT_HOP, 'NEXT_HOP') || taw;
  }
  // RFC 4271 §6.3 / RFC 7606 §7.3: a NEXT_HOP that cannot be a host address (0/8, 127/8, multicast
  // and class E, 224/3) makes its routes unusable: treat-as-withdraw. Checks that need to know the
  // local addresses or the peer's subnet belong to the session. Without NLRI in the NLRI field the
  // attribute is not used (RFC 4760 §3) and not judged.
  if (nlri.count > 0 && a.nextHop !== undefined && martianV4(a.nextHop)) {
    notes.push({ type: ATTR.NEXT_HOP, action: 'treat-as-withdraw', reason: `NEXT_HOP ${a.nextHop} is not a host address` });
    taw = true;
  }
  const msg: UpdateMessage = { type: 'update', withdrawn, attributes: a, nlri };
  if (notes.length) msg.attrErrors = notes as AttrErrorNote[];
  if (taw) msg.treatAsWithdraw = true;
  if (dec.key) msg.attrKey = dec.key;
  return msg;
}

/** Note an absent mandatory attribute unless its absence is already explained; true when noted. */
function missing(notes: AttrErrorNote[], type: number, name: string): boolean {
  if (notes.some((n) => n.type === type)) return false;
  notes.push({ type, action: 'treat-as-withdraw', reason: `missing ${name}` });
  return true;
}

function martianV4(nh: string): boolean {
  // The first octet of the dotted quad, read without slicing the text.
  let first = 0;
  for (let i = 0; i < nh.length; i++) {
    const c = nh.charCodeAt(i);
    if (c === 46) break;
    first = 10 * first + (c - 48);
  }
  return first === 0 || first === 127 || first >= 224;
}

/** Encode an UPDATE body (without header). */
export function encodeUpdateBody(m: UpdateMessage, ctx: CodecContext): Buffer {
  if (m.withdrawn.afi !== AFI.IPv4 || m.nlri.afi !== AFI.IPv4) throw encodeError('the UPDATE withdrawn and NLRI fields carry IPv4 only');
  const ap = ctx.addPath.ipv4;
  const attrs = encodeAttributes(m.attributes, ctx);
  const wlen = nlriWireSize(m.withdrawn, 0, m.withdrawn.count, ap);
  const nlen = nlriWireSize(m.nlri, 0, m.nlri.count, ap);
  if (wlen > 0xffff || attrs.length > 0xffff) throw encodeError('UPDATE field longer than 65535 octets', true);
  const b = Buffer.alloc(4 + wlen + attrs.length + nlen);
  b.writeUInt16BE(wlen, 0);
  writeNlri(m.withdrawn, 0, m.withdrawn.count, ap, b, 2);
  b.writeUInt16BE(attrs.length, 2 + wlen);
  attrs.copy(b, 4 + wlen);
  writeNlri(m.nlri, 0, m.nlri.count, ap, b, 4 + wlen + attrs.length);
  return b;
}

/** The End-of-RIB marker of a family (RFC 4724 §2): an empty UPDATE for IPv4 unicast, else an
 * UPDATE holding only an empty MP_UNREACH_NLRI. */
export function endOfRib(afi: Afi, safi: Safi = SAFI.Unicast): UpdateMessage {
  const v4 = emptyPrefixList(AFI.IPv4);
  if (afi === AFI.IPv4 && safi === SAFI.Unicast) return { type: 'update', withdrawn: v4, attributes: {}, nlri: v4 };
  return { type: 'update', withdrawn: v4, attributes: { mpUnreach: { afi, safi, nlri: emptyPrefixList(afi) } }, nlri: emptyPrefixList(AFI.IPv4) };
}

/** The family whose End-of-RIB this UPDATE is, or null when it is not an End-of-RIB. */
export function isEndOfRib(m: UpdateMessage): { afi: Afi; safi: Safi } | null {
  if (m.withdrawn.count !== 0 || m.nlri.count !== 0 || m.treatAsWithdraw) return null;
  const keys = Object.keys(m.attributes).filter((k) => (m.attributes as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return { afi: AFI.IPv4, safi: SAFI.Unicast };
  const u = m.attributes.mpUnreach;
  if (keys.length === 1 && u && u.nlri.count === 0) return { afi: u.afi, safi: u.safi };
  return null;
}
