// Coders of the simple fixed-size attributes: ORIGIN, NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF,
// ATOMIC_AGGREGATE, AGGREGATOR, ORIGINATOR_ID, CLUSTER_LIST, AS4_AGGREGATOR. Each length rule and
// its RFC 7606 §7 verdict sits next to the coder.
import { ipv4ToString, parseIpv4, readU16, readU32 } from '../addr.js';
import { ATTR, UPDATE_ERR } from '../constants.js';
import { encodeError } from '../errors.js';
import { AS_TRANS, type Aggregator } from '../types.js';
import { discard, OPTIONAL_NON_TRANSITIVE, OPTIONAL_TRANSITIVE, u32Buffer, WELL_KNOWN, withdraw, type AttrCoder } from './table.js';

const LEN = UPDATE_ERR.ATTRIBUTE_LENGTH_ERROR;

function ipv4Bytes(s: string, what: string): Buffer {
  const a = parseIpv4(s);
  if (a === null) throw encodeError(`${what} is not an IPv4 address: ${s}`);
  return u32Buffer(a);
}

function u32Value(n: number, what: string): Buffer {
  if (!(Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw encodeError(`${what} ${n} is not a u32`);
  return u32Buffer(n);
}

export const origin: AttrCoder = {
  type: ATTR.ORIGIN,
  name: 'ORIGIN',
  flags: WELL_KNOWN,
  decode(b, s, e, st) {
    // RFC 7606 §7.1: wrong length or undefined value → treat-as-withdraw.
    if (e - s !== 1) return withdraw(LEN, `ORIGIN length ${e - s}`);
    if (b[s] > 2) return withdraw(UPDATE_ERR.INVALID_ORIGIN_ATTRIBUTE, `ORIGIN value ${b[s]}`);
    st.attrs.origin = b[s] as 0 | 1 | 2;
    return null;
  },
  encode(a) {
    if (a.origin === undefined) return null;
    if (a.origin !== 0 && a.origin !== 1 && a.origin !== 2) throw encodeError(`ORIGIN ${String(a.origin)}`);
    return Buffer.from([a.origin]);
  },
};

export const nextHop: AttrCoder = {
  type: ATTR.NEXT_HOP,
  name: 'NEXT_HOP',
  flags: WELL_KNOWN,
  decode(b, s, e, st) {
    // RFC 7606 §7.3: length other than 4 → treat-as-withdraw. Semantic checks (own address,
    // martians) need the session's view and are made there.
    if (e - s !== 4) return withdraw(LEN, `NEXT_HOP length ${e - s}`);
    st.attrs.nextHop = ipv4ToString(readU32(b, s));
    return null;
  },
  encode: (a) => (a.nextHop === undefined ? null : ipv4Bytes(a.nextHop, 'NEXT_HOP')),
};

function u32Attr(type: number, name: string, flags: number, key: 'med' | 'localPref' | 'originatorId'): AttrCoder {
  return {
    type,
    name,
    flags,
    decode(b, s, e, st) {
      // RFC 7606 §7.4 (MED), §7.5 (LOCAL_PREF), §7.9 (ORIGINATOR_ID): wrong length → treat-as-withdraw.
      if (e - s !== 4) return withdraw(LEN, `${name} length ${e - s}`);
      st.attrs[key] = readU32(b, s);
      return null;
    },
    encode: (a) => (a[key] === undefined ? null : u32Value(a[key], name)),
  };
}

export const med = u32Attr(ATTR.MULTI_EXIT_DISC, 'MULTI_EXIT_DISC', OPTIONAL_NON_TRANSITIVE, 'med');
export const localPref = u32Attr(ATTR.LOCAL_PREF, 'LOCAL_PREF', WELL_KNOWN, 'localPref');
export const originatorId = u32Attr(ATTR.ORIGINATOR_ID, 'ORIGINATOR_ID', OPTIONAL_NON_TRANSITIVE, 'originatorId');

export const atomicAggregate: AttrCoder = {
  type: ATTR.ATOMIC_AGGREGATE,
  name: 'ATOMIC_AGGREGATE',
  flags: WELL_KNOWN,
  decode(_b, s, e, st) {
    // RFC 7606 §7.6: length other than 0 → attribute-discard.
    if (e - s !== 0) return discard(LEN, `ATOMIC_AGGREGATE length ${e - s}`);
    st.attrs.atomicAggregate = true;
    return null;
  },
  encode: (a) => (a.atomicAggregate ? Buffer.alloc(0) : null),
};

function aggregatorBytes(agg: Aggregator, as4: boolean): Buffer {
  if (!(Number.isInteger(agg.asn) && agg.asn >= 0 && agg.asn <= 0xffffffff)) throw encodeError(`AGGREGATOR AS ${agg.asn}`);
  const addr = ipv4Bytes(agg.address, 'AGGREGATOR address');
  if (as4) return Buffer.concat([u32Buffer(agg.asn), addr]);
  const asn = agg.asn > 0xffff ? AS_TRANS : agg.asn;
  return Buffer.concat([Buffer.from([asn >> 8, asn & 255]), addr]);
}

export const aggregator: AttrCoder = {
  type: ATTR.AGGREGATOR,
  name: 'AGGREGATOR',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    // RFC 7606 §7.7: length other than 6 (2-octet AS) or 8 (4-octet AS) → attribute-discard.
    const want = st.ctx.as4 ? 8 : 6;
    if (e - s !== want) return discard(LEN, `AGGREGATOR length ${e - s}, expected ${want}`);
    const asn = st.ctx.as4 ? readU32(b, s) : readU16(b, s);
    st.attrs.aggregator = { asn, address: ipv4ToString(readU32(b, s + want - 4)) };
    return null;
  },
  encode: (a, ctx) => (a.aggregator ? aggregatorBytes(a.aggregator, ctx.as4) : null),
};

export const as4Aggregator: AttrCoder = {
  type: ATTR.AS4_AGGREGATOR,
  name: 'AS4_AGGREGATOR',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    // RFC 6793 §6: malformed → attribute-discard; between NEW speakers it must not appear → discard.
    if (st.ctx.as4) return discard(LEN, 'AS4_AGGREGATOR from a 4-octet AS speaker');
    if (e - s !== 8) return discard(LEN, `AS4_AGGREGATOR length ${e - s}`);
    st.as4Aggregator = { asn: readU32(b, s), address: ipv4ToString(readU32(b, s + 4)) };
    return null;
  },
  // RFC 6793 §4.2.2: on a 2-octet session, a 4-octet aggregating AS travels here, AS_TRANS in AGGREGATOR.
  encode: (a, ctx) => (!ctx.as4 && a.aggregator && a.aggregator.asn > 0xffff ? aggregatorBytes(a.aggregator, true) : null),
};

export const clusterList: AttrCoder = {
  type: ATTR.CLUSTER_LIST,
  name: 'CLUSTER_LIST',
  flags: OPTIONAL_NON_TRANSITIVE,
  decode(b, s, e, st) {
    // RFC 7606 §7.10: length zero or not a multiple of 4 → treat-as-withdraw.
    const n = e - s;
    if (n === 0 || n % 4 !== 0) return withdraw(LEN, `CLUSTER_LIST length ${n}`);
    const ids: number[] = new Array(n / 4);
    for (let i = 0; i < ids.length; i++) ids[i] = readU32(b, s + 4 * i);
    st.attrs.clusterList = ids;
    return null;
  },
  encode(a) {
    if (a.clusterList === undefined) return null;
    if (a.clusterList.length === 0) throw encodeError('empty CLUSTER_LIST');
    return Buffer.concat(a.clusterList.map((c) => u32Value(c, 'CLUSTER_LIST id')));
  },
};
