// The path attribute table and the two walks over it: decodeAttributes (RFC 4271 §4.3 framing,
// RFC 7606 verdicts, the RFC 6793 §4.2.3 merge) and encodeAttributes (MP attributes first as RFC 7606
// §5.1 asks, then ascending type code as RFC 4271 §5 suggests; AS4_* added on 2-octet sessions).
import { ATTR, FLAG, UPDATE_ERR } from '../constants.js';
import { encodeError, updateError, type BgpWireError } from '../errors.js';
import { AS_TRANS, type AttrErrorNote, type CodecContext, type PathAttributes, type UnknownAttribute } from '../types.js';
import { as4Path, asPath, mergeAs4Path } from './aspath.js';
import { aggregator, as4Aggregator, atomicAggregate, clusterList, localPref, med, nextHop, origin, originatorId } from './basic.js';
import { communities, extCommunities, largeCommunities } from './communities.js';
import { mpReach, mpUnreach } from './mp.js';
import { attrBytes, type AttrCoder, type DecodeState, type Verdict } from './table.js';

/** THE attribute table, in ascending type code. */
export const ATTRIBUTE_TABLE: readonly AttrCoder[] = [
  origin,
  asPath,
  nextHop,
  med,
  localPref,
  atomicAggregate,
  aggregator,
  communities,
  originatorId,
  clusterList,
  mpReach,
  mpUnreach,
  extCommunities,
  as4Path,
  as4Aggregator,
  largeCommunities,
];

const byType: (AttrCoder | undefined)[] = new Array(256);
for (const c of ATTRIBUTE_TABLE) byType[c.type] = c;

/** Name of an attribute type code ("AS_PATH", or "attribute 99"). */
export function attributeName(type: number): string {
  return byType[type]?.name ?? `attribute ${type}`;
}

export interface DecodedAttributes {
  attrs: PathAttributes;
  notes: AttrErrorNote[];
  treatAsWithdraw: boolean;
  /** Copied bytes of every attribute except MP_REACH/MP_UNREACH, when asked for (an interning key). */
  key?: Buffer;
}

const SEEN = new Uint32Array(8);

const isMp = (t: number): boolean => t === ATTR.MP_REACH_NLRI || t === ATTR.MP_UNREACH_NLRI;
const isAs4 = (t: number): boolean => t === ATTR.AS4_PATH || t === ATTR.AS4_AGGREGATOR;

/** RFC 4271 §6.3 puts the erroneous attribute in the data field for these subcodes. */
const SUBCODES_WITH_DATA = new Set<number>([
  UPDATE_ERR.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
  UPDATE_ERR.ATTRIBUTE_FLAGS_ERROR,
  UPDATE_ERR.ATTRIBUTE_LENGTH_ERROR,
  UPDATE_ERR.INVALID_ORIGIN_ATTRIBUTE,
  UPDATE_ERR.INVALID_NEXT_HOP_ATTRIBUTE,
  UPDATE_ERR.OPTIONAL_ATTRIBUTE_ERROR,
]);

function resetError(v: Verdict, whole: Buffer): BgpWireError {
  const code = v.subcode === UPDATE_ERR.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE ? 'update-unrecognized-well-known' : 'update-malformed-mp-attribute';
  return updateError(code, v.subcode, v.reason, SUBCODES_WITH_DATA.has(v.subcode) ? whole : undefined);
}

/** Record a verdict; true when it makes the UPDATE treat-as-withdraw. */
function note(notes: AttrErrorNote[], type: number, v: Verdict): boolean {
  notes.push({ type, action: v.action === 'attribute-discard' ? 'attribute-discard' : 'treat-as-withdraw', reason: v.reason });
  return v.action === 'treat-as-withdraw';
}

/** Decode the path attributes buf[start, end). Throws BgpWireError only for session-reset errors. */
export function decodeAttributes(buf: Buffer, start: number, end: number, ctx: CodecContext, wantKey = false): DecodedAttributes {
  const st: DecodeState = { ctx, attrs: {}, notes: [] };
  const notes: AttrErrorNote[] = [];
  let taw = false;
  // Types seen so far, as a 256-bit set in a scratch array (zeroed here; no state survives a call).
  const seen = SEEN;
  seen.fill(0);
  // The key's bytes are usually one run of the list (no MP attribute or repeat inside it): then it
  // is copied once at the end. Parts are gathered only once the run breaks.
  let keyStart = -1;
  let keyEnd = -1;
  let keyParts: Buffer[] | null = null;
  let unknown: UnknownAttribute[] | null = null;
  let p = start;
  while (p < end) {
    const flags = buf[p];
    const hdr = flags & FLAG.EXTENDED_LENGTH ? 4 : 3;
    if (p + hdr > end) {
      // RFC 7606 §4: too few octets left for an attribute header → treat-as-withdraw.
      taw = note(notes, 0, { action: 'treat-as-withdraw', subcode: UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, reason: 'trailing octets in the attribute list' }) || taw;
      break;
    }
    const type = buf[p + 1];
    const len = hdr === 4 ? (buf[p + 2] << 8) | buf[p + 3] : buf[p + 2];
    const vs = p + hdr;
    const ve = vs + len;
    if (ve > end) {
      // RFC 7606 §4: an attribute overrunning the list → treat-as-withdraw, unless it is an MP
      // attribute, whose NLRI then cannot be found (§7.11) → reset.
      if (isMp(type)) throw updateError('update-malformed-attribute-list', UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, `${attributeName(type)} overruns the attribute list`);
      taw = note(notes, type, { action: 'treat-as-withdraw', subcode: UPDATE_ERR.ATTRIBUTE_LENGTH_ERROR, reason: `${attributeName(type)} overruns the attribute list` }) || taw;
      break;
    }
    const ps = p; // the whole attribute is buf[ps, ve): a key part or NOTIFICATION data
    p = ve;
    if (seen[type >> 5] & (1 << (type & 31))) {
      // RFC 7606 §3(g): repeated MP attributes reset; any other repeat is discarded but the first.
      if (isMp(type)) throw updateError('update-malformed-attribute-list', UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, `${attributeName(type)} appears twice`);
      taw = note(notes, type, { action: 'attribute-discard', subcode: UPDATE_ERR.MALFORMED_ATTRIBUTE_LIST, reason: `repeated ${attributeName(type)}` }) || taw;
      continue;
    }
    seen[type >> 5] |= 1 << (type & 31);
    if (wantKey && !isMp(type)) {
      if (keyStart < 0) keyStart = ps;
      else if (keyEnd !== ps) {
        keyParts ??= [buf.subarray(keyStart, keyEnd)];
        keyParts.push(buf.subarray(ps, ve));
      }
      if (keyParts === null) keyEnd = ve;
    }
    const coder = byType[type];
    if (!coder) {
      // RFC 4271 §5: unrecognized well-known → error; optional transitive → kept (sent on with
      // Partial set); optional non-transitive → quietly ignored.
      if (!(flags & FLAG.OPTIONAL)) {
        throw resetError({ action: 'reset', subcode: UPDATE_ERR.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, reason: `unrecognized well-known attribute ${type}` }, buf.subarray(ps, ve));
      }
      if (flags & FLAG.TRANSITIVE) (unknown ??= []).push({ flags: flags & ~FLAG.EXTENDED_LENGTH, type, value: Buffer.from(buf.subarray(vs, ve)) });
      continue;
    }
    let verdict: Verdict | null;
    if ((flags & (FLAG.OPTIONAL | FLAG.TRANSITIVE)) !== coder.flags) {
      // RFC 7606 §3(c): conflicting Optional/Transitive bits → treat-as-withdraw; AS4_* are only
      // informational and are discarded instead (RFC 6793 §6). MP attributes are still parsed so
      // their NLRI can be withdrawn.
      const why = `${coder.name} flags 0x${flags.toString(16)}`;
      if (isAs4(type)) {
        taw = note(notes, type, { action: 'attribute-discard', subcode: UPDATE_ERR.ATTRIBUTE_FLAGS_ERROR, reason: why }) || taw;
        continue;
      }
      taw = note(notes, type, { action: 'treat-as-withdraw', subcode: UPDATE_ERR.ATTRIBUTE_FLAGS_ERROR, reason: why }) || taw;
      verdict = coder.decode(buf, vs, ve, st);
      if (verdict && verdict.action !== 'reset') verdict = null; // already withdrawn
    } else {
      verdict = coder.decode(buf, vs, ve, st);
    }
    if (verdict) {
      if (verdict.action === 'reset') throw resetError(verdict, buf.subarray(ps, ve));
      taw = note(notes, type, verdict) || taw;
    }
  }
  const attrs = st.attrs;
  if (!ctx.as4) mergeAs4(st);
  for (const n of st.notes) notes.push({ type: n.type, action: 'attribute-discard', reason: n.reason });
  if (unknown) attrs.unknown = unknown;
  const out: DecodedAttributes = { attrs, notes, treatAsWithdraw: taw };
  if (wantKey) {
    if (keyParts) out.key = Buffer.concat(keyParts);
    else if (keyStart < 0) out.key = Buffer.alloc(0);
    else {
      // One allocation and one copy (small keys come from Buffer's shared pool).
      const n = keyEnd - keyStart;
      const key = Buffer.allocUnsafe(n);
      if (n > 64) buf.copy(key, 0, keyStart, keyEnd);
      else for (let i = 0; i < n; i++) key[i] = buf[keyStart + i]; // cheaper than copy()'s fixed cost
      out.key = key;
    }
  }
  return out;
}

/** RFC 6793 §4.2.3, on a 2-octet session once all attributes are known. */
function mergeAs4(st: DecodeState): void {
  const a = st.attrs;
  // An AGGREGATOR that is not AS_TRANS means an OLD speaker aggregated: AS4_* are stale.
  if (a.aggregator && a.aggregator.asn !== AS_TRANS) return;
  if (a.aggregator && st.as4Aggregator) a.aggregator = st.as4Aggregator;
  if (a.asPath && st.as4Path) a.asPath = mergeAs4Path(a.asPath, st.as4Path);
}

function unknownFlags(u: UnknownAttribute): number {
  if (!(Number.isInteger(u.type) && u.type >= 0 && u.type <= 255)) throw encodeError(`attribute type ${u.type}`);
  if (byType[u.type]) throw encodeError(`unknown attribute uses the known type ${attributeName(u.type)}`);
  if (!(u.flags & FLAG.OPTIONAL)) throw encodeError(`well-known attribute ${u.type} that we do not recognize`);
  let f = u.flags & 0xe0;
  // RFC 4271 §5: an unrecognized optional transitive attribute is passed on with Partial set.
  if (f & FLAG.TRANSITIVE) f |= FLAG.PARTIAL;
  return f;
}

export interface EncodeAttributesOptions {
  /** Leave MP_REACH_NLRI / MP_UNREACH_NLRI out (the update packer writes them per message). */
  skipMp?: boolean;
}

/** Encode path attributes (each with header) into one buffer. */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext, opts: EncodeAttributesOptions = {}): Buffer {
  const parts: Buffer[] = [];
  if (!opts.skipMp) {
    for (const c of [mpReach, mpUnreach]) {
      const v = c.encode(a, ctx);
      if (v) parts.push(attrBytes(c.flags, c.type, v));
    }
  }
  const unknown = [...(a.unknown ?? [])].sort((x, y) => x.type - y.type);
  let u = 0;
  for (const c of ATTRIBUTE_TABLE) {
    if (isMp(c.type)) continue;
    while (u < unknown.length && unknown[u].type < c.type) {
      parts.push(attrBytes(unknownFlags(unknown[u]), unknown[u].type, unknown[u].value));
      u++;
    }
    const v = c.encode(a, ctx);
    if (v) parts.push(attrBytes(c.flags, c.type, v));
  }
  for (; u < unknown.length; u++) parts.push(attrBytes(unknownFlags(unknown[u]), unknown[u].type, unknown[u].value));
  return Buffer.concat(parts);
}
