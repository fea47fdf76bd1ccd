// Rewrites a real daemon's message into the one encoding our codec produces, and says why it had to.
// Encodings BGP leaves open, where daemons choose differently from us:
//  - OPEN: capabilities spread over several Capabilities optional parameters (FRR, ExaBGP put one per
//    parameter, RFC 5492 §4 allows both); ours puts them all in one.
//  - UPDATE: the Extended Length flag on an attribute shorter than 256 octets (FRR, ExaBGP; RFC 4271
//    §4.3 allows it); ours uses it only when the length needs two octets.
//  - UPDATE: attribute order (GoBGP and ExaBGP put MP_REACH last, ExaBGP AS4_PATH right after
//    AS_PATH); ours is MP_REACH/MP_UNREACH first (RFC 7606 §5.1), then ascending type code.
//  - UPDATE: an unrecognised optional transitive attribute passed on gets the Partial bit (RFC 4271
//    §5), so re-encoding what we received sets it.
//  - UPDATE on a 2-octet session: AS4_PATH / AS4_AGGREGATOR next to an AGGREGATOR that carries a real
//    2-octet AS (not AS_TRANS) must be ignored (RFC 6793 §4.2.3) — FRR sends that for an AS_SET
//    aggregate — so they are gone from what we re-encode.
// A message needing none of these must come out of decode → encode byte for byte.

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);
const FLAG_OPTIONAL = 0x80;
const FLAG_TRANSITIVE = 0x40;
const FLAG_PARTIAL = 0x20;
const FLAG_EXTENDED = 0x10;

export interface Canonical {
  bytes: Buffer;
  /** Why the daemon's bytes differ from ours; empty when they must be identical. */
  reasons: string[];
}

function withHeader(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(19 + body.length, 0xff);
  b.writeUInt16BE(b.length, 16);
  b[18] = type;
  body.copy(b, 19);
  return b;
}

function canonicalOpen(msg: Buffer): Canonical {
  const optLen = msg[28];
  if (optLen === 255) return { bytes: msg, reasons: [] }; // RFC 9072 form: compared as is
  const caps: Buffer[] = [];
  const others: Buffer[] = [];
  let capParams = 0;
  for (let p = 29; p < 29 + optLen; ) {
    const type = msg[p];
    const len = msg[p + 1];
    if (type === 2) {
      capParams++;
      caps.push(msg.subarray(p + 2, p + 2 + len));
    } else others.push(msg.subarray(p, p + 2 + len));
    p += 2 + len;
  }
  if (capParams <= 1) return { bytes: msg, reasons: [] };
  const capBytes = Buffer.concat(caps);
  const params = Buffer.concat([Buffer.from([2, capBytes.length]), capBytes, ...others]);
  const body = Buffer.concat([msg.subarray(19, 28), Buffer.from([params.length]), params]);
  return { bytes: withHeader(1, body), reasons: [`capabilities in ${capParams} optional parameters (ours: one)`] };
}

interface RawAttr {
  flags: number;
  type: number;
  value: Buffer;
}

function canonicalUpdate(msg: Buffer): Canonical {
  const wlen = msg.readUInt16BE(19);
  const aStart = 21 + wlen + 2;
  const alen = msg.readUInt16BE(21 + wlen);
  const attrs: RawAttr[] = [];
  for (let p = aStart; p < aStart + alen; ) {
    const flags = msg[p];
    const type = msg[p + 1];
    const ext = (flags & FLAG_EXTENDED) !== 0;
    const len = ext ? msg.readUInt16BE(p + 2) : msg[p + 2];
    const off = p + (ext ? 4 : 3);
    attrs.push({ flags, type, value: msg.subarray(off, off + len) });
    p = off + len;
  }
  const reasons = new Set<string>();
  // RFC 6793 §4.2.3: a 6-octet AGGREGATOR (2-octet session) not carrying AS_TRANS voids AS4_*.
  const agg = attrs.find((a) => a.type === 7);
  if (agg && agg.value.length === 6 && agg.value.readUInt16BE(0) !== 23456 && attrs.some((a) => a.type === 17 || a.type === 18)) {
    reasons.add('AS4_PATH/AS4_AGGREGATOR ignored: AGGREGATOR carries a 2-octet AS, not AS_TRANS (RFC 6793 §4.2.3)');
    attrs.splice(0, attrs.length, ...attrs.filter((a) => a.type !== 17 && a.type !== 18));
  }
  const rank = (t: number): number => (t === 14 || t === 15 ? t - 100 : t);
  const order = attrs.map((a) => a.type);
  const wanted = [...attrs].sort((x, y) => rank(x.type) - rank(y.type));
  if (wanted.some((a, i) => a.type !== order[i])) {
    reasons.add(`attribute order ${order.join(',')} (ours: ${wanted.map((a) => a.type).join(',')})`);
  }
  const out: Buffer[] = [];
  for (const a of wanted) {
    let flags = a.flags;
    if ((flags & FLAG_EXTENDED) && a.value.length < 256) {
      reasons.add('extended length flag on attributes shorter than 256 octets');
      flags &= ~FLAG_EXTENDED;
    }
    if (!KNOWN_ATTRS.has(a.type) && (flags & FLAG_OPTIONAL) && (flags & FLAG_TRANSITIVE) && !(flags & FLAG_PARTIAL)) {
      reasons.add(`unrecognised optional transitive attribute ${a.type} gets the Partial bit when passed on`);
      flags |= FLAG_PARTIAL;
    }
    if (a.value.length > 255) flags |= FLAG_EXTENDED;
    const hdr = flags & FLAG_EXTENDED
      ? Buffer.from([flags, a.type, a.value.length >> 8, a.value.length & 255])
      : Buffer.from([flags, a.type, a.value.length]);
    out.push(hdr, a.value);
  }
  if (reasons.size === 0) return { bytes: msg, reasons: [] };
  const attrBytes = Buffer.concat(out);
  const lenField = Buffer.alloc(2);
  lenField.writeUInt16BE(attrBytes.length);
  const body = Buffer.concat([msg.subarray(19, 21 + wlen), lenField, attrBytes, msg.subarray(aStart + alen)]);
  return { bytes: withHeader(2, body), reasons: [...reasons] };
}

export function canonicalize(msg: Buffer): Canonical {
  if (msg[18] === 1) return canonicalOpen(msg);
  if (msg[18] === 2) return canonicalUpdate(msg);
  return { bytes: msg, reasons: [] };
}
