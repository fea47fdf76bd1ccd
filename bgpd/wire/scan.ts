// The ingest fast path: one validating walk over an UPDATE body that allocates nothing and fills a
// caller-owned UpdateScan. It answers true only for a "plain" UPDATE — 4-octet AS session, no
// ADD-PATH, IPv4 NLRI only, every attribute one we know and well formed, nothing the full decoder
// would note — and its fields then equal what decodeUpdate (update.ts) concludes. Anything else
// answers false and the caller runs decodeUpdate, which gives the RFC 7606 verdicts and errors; so
// false is always safe and this module never explains why. It must not throw, whatever the bytes.
// Each rule below mirrors the coder in attrs/*.ts that it stands in for: change them together.
import { ATTR } from './constants.js';
import { AS_PATH_SEGMENT } from './types.js';

/** Filled by scanUpdate; one object reused for every UPDATE. Offsets are absolute into buf. */
export class UpdateScan {
  wStart = 0;
  wEnd = 0; // withdrawn routes field
  aStart = 0;
  aEnd = 0; // path attribute list
  nStart = 0;
  nEnd = 0; // NLRI field
  withdrawnCount = 0;
  nlriCount = 0;
  /** hashBytes(buf, aStart, aEnd): the interning hash of the attribute bytes. */
  hash = 0;
  /** ORIGIN value (0..2); meaningful when nlriCount > 0. */
  origin = 2;
  /** IPv4 NEXT_HOP as a host-order u32. */
  nextHop = 0;
  hasLocalPref = false;
  localPref = 0;
  hasMed = false;
  med = 0;
  /** RFC 4271 §9.1.2.2 path length as asPathLength() counts it: a SET is 1, confed segments 0. */
  asPathLen = 0;
  /** First AS of the first segment when it is an AS_SEQUENCE or AS_SET, else 0. */
  neighborAs = 0;
  /** AS numbers anywhere in AS_PATH (confederation segments too) equal to the scan's localAs (RFC 4271 §9.1.2 loop check). */
  localAsCount = 0;
  hasOriginatorId = false;
  originatorId = 0;
  /** Number of cluster ids in CLUSTER_LIST. */
  clusterListLen = 0;
  /** CLUSTER_LIST holds the scan's clusterId (RFC 4456 §8 loop check). */
  clusterHit = false;
}

// The Optional and Transitive bits each coder expects (attrs/table.ts); Partial and Extended Length
// are not compared, as decodeAttributes does not compare them.
const WELL_KNOWN = 0x40;
const OPTIONAL_TRANSITIVE = 0xc0;
const OPTIONAL_NON_TRANSITIVE = 0x80;
const OT_BITS = 0xc0;
const EXTENDED_LENGTH = 0x10;

/** The mandatory attributes for NLRI (RFC 4271 §5, RFC 7606 §3(d)), as bits of the seen set. */
const MANDATORY = (1 << ATTR.ORIGIN) | (1 << ATTR.AS_PATH) | (1 << ATTR.NEXT_HOP);

/**
 * Scan the UPDATE body buf[start, end) (what decodeUpdate takes). True when it is plain and `out`
 * holds its fields; false when the caller must decode it in full (`out` is then meaningless).
 * `localAs` (a u32) is counted in AS_PATH; `clusterId` (a u32, or negative for none) is looked for
 * in CLUSTER_LIST. The attribute bytes are read once to validate and once more, only when plain, to hash.
 */
export function scanUpdate(buf: Buffer, start: number, end: number, localAs: number, clusterId: number, out: UpdateScan): boolean {
  if (!(start >= 0 && end <= buf.length && end - start >= 4)) return false;
  // RFC 4271 §4.3: the two length fields must fit the message.
  const ws = start + 2;
  const we = ws + ((buf[start] << 8) | buf[start + 1]);
  if (we + 2 > end) return false;
  const as = we + 2;
  const ae = as + ((buf[we] << 8) | buf[we + 1]);
  if (ae > end) return false;
  out.wStart = ws;
  out.wEnd = we;
  out.aStart = as;
  out.aEnd = ae;
  out.nStart = ae;
  out.nEnd = end;
  const withdrawn = countPrefixes(buf, ws, we);
  if (withdrawn < 0) return false;
  const nlri = countPrefixes(buf, ae, end);
  if (nlri < 0) return false;
  out.withdrawnCount = withdrawn;
  out.nlriCount = nlri;
  if (ae === as) {
    // No attributes: plain only as a pure withdrawal; the empty UPDATE is IPv4 End-of-RIB
    // (RFC 4724 §2), left to the caller, and NLRI without attributes lacks the mandatory ones.
    if (nlri > 0 || withdrawn === 0) return false;
    resetAttrs(out);
    out.hash = hashBytes(buf, as, ae);
    return true;
  }
  // Attributes without NLRI are rare (a withdrawal that carries some): not worth a fast path.
  if (nlri === 0) return false;
  if (!scanAttributes(buf, as, ae, localAs, clusterId, out)) return false;
  out.hash = hashBytes(buf, as, ae);
  return true;
}

/**
 * Count the IPv4 prefixes of buf[start, end) (RFC 4271 §4.3), or -1 when decodeNlri would refuse
 * them or when a prefix has bits set past its length: decodeNlri clears those, and a scan that
 * hands out offsets must not leave its caller to repeat that.
 */
function countPrefixes(buf: Buffer, start: number, end: number): number {
  let p = start;
  let n = 0;
  while (p < end) {
    const len = buf[p];
    if (len > 32) return -1;
    const next = p + 1 + ((len + 7) >> 3);
    if (next > end) return -1;
    // The last octet of a prefix whose length is not a multiple of 8 holds bits past the length.
    if (len & 7 && buf[next - 1] & (0xff >> (len & 7))) return -1;
    p = next;
    n++;
  }
  return n;
}

function resetAttrs(out: UpdateScan): void {
  out.origin = 2;
  out.nextHop = 0;
  out.hasLocalPref = false;
  out.localPref = 0;
  out.hasMed = false;
  out.med = 0;
  out.asPathLen = 0;
  out.neighborAs = 0;
  out.localAsCount = 0;
  out.hasOriginatorId = false;
  out.originatorId = 0;
  out.clusterListLen = 0;
  out.clusterHit = false;
}

function u32(b: Buffer, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Walk the attribute list buf[start, end) of an UPDATE with NLRI; false at the first doubt. */
function scanAttributes(buf: Buffer, start: number, end: number, localAs: number, clusterId: number, out: UpdateScan): boolean {
  resetAttrs(out);
  // Types seen, one bit each: every accepted type is below 32 except LARGE_COMMUNITY (32), which
  // takes bit 0 — type 0 is never accepted, so the two cannot meet.
  let seen = 0;
  let p = start;
  while (p < end) {
    const flags = buf[p];
    const hdr = flags & EXTENDED_LENGTH ? 4 : 3;
    // RFC 7606 §4: a header or value past the list is a malformed list.
    if (p + hdr > end) return false;
    const type = buf[p + 1];
    const vs = p + hdr;
    const ve = vs + (hdr === 4 ? (buf[p + 2] << 8) | buf[p + 3] : buf[p + 2]);
    if (ve > end) return false;
    p = ve;
    const bit = 1 << (type & 31);
    // RFC 7606 §3(g): a repeat is discarded with a note.
    if (seen & bit) return false;
    seen |= bit;
    const n = ve - vs;
    const ot = flags & OT_BITS;
    switch (type) {
      case ATTR.ORIGIN:
        // RFC 7606 §7.1.
        if (ot !== WELL_KNOWN || n !== 1 || buf[vs] > 2) return false;
        out.origin = buf[vs];
        break;
      case ATTR.AS_PATH:
        if (ot !== WELL_KNOWN || !scanAsPath(buf, vs, ve, localAs, out)) return false;
        break;
      case ATTR.NEXT_HOP: {
        // RFC 7606 §7.3 length; RFC 4271 §6.3 / §7.3 a martian next hop (0/8, 127/8, 224/3)
        // makes decodeUpdate treat-as-withdraw.
        if (ot !== WELL_KNOWN || n !== 4) return false;
        const first = buf[vs];
        if (first === 0 || first === 127 || first >= 224) return false;
        out.nextHop = u32(buf, vs);
        break;
      }
      case ATTR.MULTI_EXIT_DISC:
        // RFC 7606 §7.4.
        if (ot !== OPTIONAL_NON_TRANSITIVE || n !== 4) return false;
        out.hasMed = true;
        out.med = u32(buf, vs);
        break;
      case ATTR.LOCAL_PREF:
        // RFC 7606 §7.5.
        if (ot !== WELL_KNOWN || n !== 4) return false;
        out.hasLocalPref = true;
        out.localPref = u32(buf, vs);
        break;
      case ATTR.ATOMIC_AGGREGATE:
        // RFC 7606 §7.6.
        if (ot !== WELL_KNOWN || n !== 0) return false;
        break;
      case ATTR.AGGREGATOR:
        // RFC 7606 §7.7, 4-octet AS form.
        if (ot !== OPTIONAL_TRANSITIVE || n !== 8) return false;
        break;
      case ATTR.COMMUNITIES:
        // RFC 7606 §7.8.
        if (ot !== OPTIONAL_TRANSITIVE || n === 0 || n % 4 !== 0) return false;
        break;
      case ATTR.ORIGINATOR_ID:
        // RFC 7606 §7.9.
        if (ot !== OPTIONAL_NON_TRANSITIVE || n !== 4) return false;
        out.hasOriginatorId = true;
        out.originatorId = u32(buf, vs);
        break;
      case ATTR.CLUSTER_LIST:
        // RFC 7606 §7.10.
        if (ot !== OPTIONAL_NON_TRANSITIVE || n === 0 || n % 4 !== 0) return false;
        out.clusterListLen = n >> 2;
        if (clusterId >= 0) for (let q = vs; q < ve; q += 4) if (u32(buf, q) === clusterId) out.clusterHit = true;
        break;
      case ATTR.EXTENDED_COMMUNITIES:
        // RFC 7606 §7.14.
        if (ot !== OPTIONAL_TRANSITIVE || n === 0 || n % 8 !== 0) return false;
        break;
      case ATTR.LARGE_COMMUNITY:
        // RFC 8092 §6.
        if (ot !== OPTIONAL_TRANSITIVE || n === 0 || n % 12 !== 0) return false;
        break;
      default:
        // MP_REACH/MP_UNREACH (other families), AS4_* (noted on a 4-octet session) and unknown
        // types all need the full decoder.
        return false;
    }
  }
  return (seen & MANDATORY) === MANDATORY;
}

/**
 * AS_PATH of 4-octet AS numbers, by parseSegments' rules (RFC 7606 §7.2: known segment type, no
 * empty segment, no overrun). Fills the path length, neighbour AS and local AS count.
 */
function scanAsPath(buf: Buffer, start: number, end: number, localAs: number, out: UpdateScan): boolean {
  let len = 0;
  let local = 0;
  let p = start;
  while (p < end) {
    if (p + 2 > end) return false;
    const type = buf[p];
    const n = buf[p + 1];
    if (type < AS_PATH_SEGMENT.SET || type > AS_PATH_SEGMENT.CONFED_SET || n === 0) return false;
    const first = p === start;
    p += 2;
    const se = p + 4 * n;
    if (se > end) return false;
    // As rib/attrs.ts takes the neighbour AS: a confederation segment first means none.
    if (first && (type === AS_PATH_SEGMENT.SEQUENCE || type === AS_PATH_SEGMENT.SET)) out.neighborAs = u32(buf, p);
    if (type === AS_PATH_SEGMENT.SEQUENCE) len += n;
    else if (type === AS_PATH_SEGMENT.SET) len += 1;
    for (; p < se; p += 4) if (u32(buf, p) === localAs) local++;
  }
  out.asPathLen = len;
  out.localAsCount = local;
  return true;
}

/**
 * MurmurHash3 (x86, 32-bit, seed 0) of buf[start, end), kept to 31 bits: the RIB interns attribute
 * sets on it (bgpd/rib/attrs.ts). Four octets a round, so an attribute list of a few dozen octets
 * costs a handful of multiplications rather than one per octet.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = buf[i];
    if (rest > 1) k |= buf[i + 1] << 8;
    if (rest > 2) k |= buf[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= end - start;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}
