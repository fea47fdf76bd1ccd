// AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 5065 confederation segments, RFC 6793). Callers see one
// AS path with real 4-octet numbers: on a 2-octet session the decoder merges AS4_PATH into AS_PATH
// (RFC 6793 §4.2.3, done in attrs/index.ts via mergeAs4Path) and the encoder writes AS_TRANS in
// AS_PATH plus an AS4_PATH whenever an AS number does not fit 2 octets.
import { ATTR, UPDATE_ERR } from '../constants.js';
import { encodeError } from '../errors.js';
import { AS_PATH_SEGMENT, AS_TRANS, type AsPathSegment, type AsPathSegmentType, type CodecContext, type PathAttributes } from '../types.js';
import { discard, OPTIONAL_TRANSITIVE, WELL_KNOWN, withdraw, type AttrCoder } from './table.js';

const isConfed = (t: number): boolean => t === AS_PATH_SEGMENT.CONFED_SEQUENCE || t === AS_PATH_SEGMENT.CONFED_SET;

/** Parse segments of `asLen`-octet AS numbers; a string says why the value is malformed. */
export function parseSegments(v: Buffer, start: number, end: number, asLen: 2 | 4): AsPathSegment[] | string {
  // Exactly sized lists (routes keep them): an array grown by push keeps room for 16 segments.
  let first: AsPathSegment | null = null;
  let out: AsPathSegment[] | null = null;
  let p = start;
  while (p < end) {
    // RFC 7606 §7.2: unknown segment type, zero segment length, overrun or a 1-octet underrun.
    if (p + 2 > end) return 'truncated segment header';
    const type = v[p];
    const n = v[p + 1];
    if (type < 1 || type > 4) return `segment type ${type}`;
    if (n === 0) return 'segment of length zero';
    p += 2;
    if (p + n * asLen > end) return 'segment overruns the attribute';
    const asns: number[] = new Array(n);
    if (asLen === 4) {
      for (let i = 0; i < n; i++, p += 4) asns[i] = ((v[p] << 24) | (v[p + 1] << 16) | (v[p + 2] << 8) | v[p + 3]) >>> 0;
    } else {
      for (let i = 0; i < n; i++, p += 2) asns[i] = (v[p] << 8) | v[p + 1];
    }
    const seg: AsPathSegment = { type: type as AsPathSegmentType, asns };
    if (first === null) first = seg;
    else if (out === null) out = [first, seg];
    else out.push(seg);
  }
  return out ?? (first === null ? [] : [first]);
}

/** Write segments, splitting any longer than 255 AS numbers (the segment length is one octet). */
export function writeSegments(segs: AsPathSegment[], asLen: 2 | 4): Buffer {
  const parts: Buffer[] = [];
  for (const s of segs) {
    if (!(s.type >= 1 && s.type <= 4)) throw encodeError(`AS path segment type ${String(s.type)}`);
    if (s.asns.length === 0) throw encodeError('empty AS path segment');
    for (let start = 0; start < s.asns.length; start += 255) {
      const chunk = s.asns.slice(start, start + 255);
      const b = Buffer.alloc(2 + chunk.length * asLen);
      b[0] = s.type;
      b[1] = chunk.length;
      chunk.forEach((asn, i) => {
        if (!(Number.isInteger(asn) && asn >= 0 && asn <= 0xffffffff)) throw encodeError(`AS number ${asn}`);
        if (asLen === 4) b.writeUInt32BE(asn, 2 + 4 * i);
        else b.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + 2 * i);
      });
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/** Path length for RFC 4271 §9.1.2.2 and the RFC 6793 merge: a SET counts 1, confed segments 0. */
export function asPathLength(segs: AsPathSegment[]): number {
  let n = 0;
  for (const s of segs) {
    if (s.type === AS_PATH_SEGMENT.SEQUENCE) n += s.asns.length;
    else if (s.type === AS_PATH_SEGMENT.SET) n += 1;
  }
  return n;
}

/**
 * RFC 6793 §4.2.3: if AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored; otherwise the leading
 * (len(AS_PATH) − len(AS4_PATH)) AS numbers of AS_PATH (with the confederation segments that lead
 * it) are followed by AS4_PATH.
 */
export function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  const n = asPathLength(asPath);
  const m = asPathLength(as4Path);
  if (n < m) return asPath;
  let need = n - m;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (isConfed(s.type)) {
      out.push(s);
      continue;
    }
    if (need === 0) break;
    if (s.type === AS_PATH_SEGMENT.SET) {
      out.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      out.push({ type: s.type, asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  for (const s of as4Path) out.push(s);
  return out;
}

function needsAs4Path(a: PathAttributes, ctx: CodecContext): boolean {
  if (ctx.as4 || !a.asPath) return false;
  return a.asPath.some((s) => !isConfed(s.type) && s.asns.some((x) => x > 0xffff));
}

export const asPath: AttrCoder = {
  type: ATTR.AS_PATH,
  name: 'AS_PATH',
  flags: WELL_KNOWN,
  decode(b, s, e, st) {
    const segs = parseSegments(b, s, e, st.ctx.as4 ? 4 : 2);
    // RFC 7606 §7.2: a malformed AS_PATH → treat-as-withdraw.
    if (typeof segs === 'string') return withdraw(UPDATE_ERR.MALFORMED_AS_PATH, `AS_PATH: ${segs}`);
    st.attrs.asPath = segs;
    return null;
  },
  encode: (a, ctx) => (a.asPath === undefined ? null : writeSegments(a.asPath, ctx.as4 ? 4 : 2)),
};

export const as4Path: AttrCoder = {
  type: ATTR.AS4_PATH,
  name: 'AS4_PATH',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    // RFC 6793 §6: never between NEW speakers, and a malformed one is discarded.
    if (st.ctx.as4) return discard(UPDATE_ERR.OPTIONAL_ATTRIBUTE_ERROR, 'AS4_PATH from a 4-octet AS speaker');
    if (e - s < 6 || (e - s) % 2 !== 0) return discard(UPDATE_ERR.OPTIONAL_ATTRIBUTE_ERROR, `AS4_PATH length ${e - s}`);
    const segs = parseSegments(b, s, e, 4);
    if (typeof segs === 'string') return discard(UPDATE_ERR.OPTIONAL_ATTRIBUTE_ERROR, `AS4_PATH: ${segs}`);
    // RFC 6793 §6: confederation segments in AS4_PATH are dropped, the rest is used.
    const kept = segs.filter((s) => !isConfed(s.type));
    if (kept.length !== segs.length) st.notes.push({ type: ATTR.AS4_PATH, reason: 'confederation segments dropped from AS4_PATH' });
    st.as4Path = kept;
    return null;
  },
  encode(a, ctx) {
    if (!needsAs4Path(a, ctx)) return null;
    // RFC 6793 §3: confederation segments are never carried in AS4_PATH.
    return writeSegments(a.asPath!.filter((s) => !isConfed(s.type)), 4);
  },
};
