// Coders of the community attributes: COMMUNITIES (RFC 1997), EXTENDED_COMMUNITIES (RFC 4360) and
// LARGE_COMMUNITY (RFC 8092). All three are lists of fixed-size items; a length of zero or not a
// multiple of the item size makes the UPDATE treat-as-withdraw (RFC 7606 §7.8, §7.14; RFC 8092 §6).
import { readU32 } from '../addr.js';
import { ATTR, UPDATE_ERR } from '../constants.js';
import { encodeError } from '../errors.js';
import type { LargeCommunity } from '../types.js';
import { OPTIONAL_TRANSITIVE, withdraw, type AttrCoder } from './table.js';

const LEN = UPDATE_ERR.ATTRIBUTE_LENGTH_ERROR;
const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

export const communities: AttrCoder = {
  type: ATTR.COMMUNITIES,
  name: 'COMMUNITIES',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    const n = e - s;
    if (n === 0 || n % 4 !== 0) return withdraw(LEN, `COMMUNITIES length ${n}`);
    const out: number[] = new Array(n / 4);
    for (let i = 0; i < out.length; i++) out[i] = readU32(b, s + 4 * i);
    st.attrs.communities = out;
    return null;
  },
  encode(a) {
    const c = a.communities;
    if (c === undefined) return null;
    if (c.length === 0) throw encodeError('empty COMMUNITIES');
    const b = Buffer.alloc(4 * c.length);
    c.forEach((x, i) => {
      if (!isU32(x)) throw encodeError(`community ${x}`);
      b.writeUInt32BE(x, 4 * i);
    });
    return b;
  },
};

export const extCommunities: AttrCoder = {
  type: ATTR.EXTENDED_COMMUNITIES,
  name: 'EXTENDED_COMMUNITIES',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    const n = e - s;
    if (n === 0 || n % 8 !== 0) return withdraw(LEN, `EXTENDED_COMMUNITIES length ${n}`);
    const out: bigint[] = new Array(n / 8);
    for (let i = 0; i < out.length; i++) out[i] = (BigInt(readU32(b, s + 8 * i)) << 32n) | BigInt(readU32(b, s + 8 * i + 4));
    st.attrs.extCommunities = out;
    return null;
  },
  encode(a) {
    const c = a.extCommunities;
    if (c === undefined) return null;
    if (c.length === 0) throw encodeError('empty EXTENDED_COMMUNITIES');
    const b = Buffer.alloc(8 * c.length);
    c.forEach((x, i) => {
      if (typeof x !== 'bigint' || x < 0n || x > 0xffffffffffffffffn) throw encodeError(`extended community ${String(x)}`);
      b.writeBigUInt64BE(x, 8 * i);
    });
    return b;
  },
};

export const largeCommunities: AttrCoder = {
  type: ATTR.LARGE_COMMUNITY,
  name: 'LARGE_COMMUNITY',
  flags: OPTIONAL_TRANSITIVE,
  decode(b, s, e, st) {
    const n = e - s;
    if (n === 0 || n % 12 !== 0) return withdraw(LEN, `LARGE_COMMUNITY length ${n}`);
    const out: LargeCommunity[] = new Array(n / 12);
    for (let i = 0, o = s; i < out.length; i++, o += 12) out[i] = [readU32(b, o), readU32(b, o + 4), readU32(b, o + 8)];
    st.attrs.largeCommunities = out;
    return null;
  },
  encode(a) {
    const c = a.largeCommunities;
    if (c === undefined) return null;
    if (c.length === 0) throw encodeError('empty LARGE_COMMUNITY');
    const b = Buffer.alloc(12 * c.length);
    c.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== 3 || !x.every(isU32)) throw encodeError(`large community ${String(x)}`);
      b.writeUInt32BE(x[0], 12 * i);
      b.writeUInt32BE(x[1], 12 * i + 4);
      b.writeUInt32BE(x[2], 12 * i + 8);
    });
    return b;
  },
};
