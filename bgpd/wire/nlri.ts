// NLRI encoding (RFC 4271 §4.3 prefix form; RFC 4760 §5 in MP attributes; RFC 7911 §3 with a
// 4-octet path identifier before each prefix). Decoding is the hot path of a full-table ingest: one
// pass validates and counts, a second fills exactly-sized typed arrays. No object per prefix.
import { encodeError, type BgpWireError } from './errors.js';
import { AFI, type Afi, type PrefixList } from './types.js';

// Zero-length typed arrays cannot be written to, so empty results may safely share them.
const NO_ADDRS = new Uint32Array(0);
const NO_LENS = new Uint8Array(0);
const EMPTY_V4: PrefixList = Object.freeze({ afi: AFI.IPv4, count: 0, addrs: NO_ADDRS, lens: NO_LENS, pathIds: null });
const EMPTY_V6: PrefixList = Object.freeze({ afi: AFI.IPv6, count: 0, addrs: NO_ADDRS, lens: NO_LENS, pathIds: null });
const EMPTY_V4_ADDPATH: PrefixList = Object.freeze({ afi: AFI.IPv4, count: 0, addrs: NO_ADDRS, lens: NO_LENS, pathIds: NO_ADDRS });
const EMPTY_V6_ADDPATH: PrefixList = Object.freeze({ afi: AFI.IPv6, count: 0, addrs: NO_ADDRS, lens: NO_LENS, pathIds: NO_ADDRS });

/** Decode the NLRI bytes buf[start, end) of one family. `fail` builds the error for a malformation. */
export function decodeNlri(
  buf: Buffer,
  start: number,
  end: number,
  afi: Afi,
  addPath: boolean,
  fail: (why: string) => BgpWireError,
): PrefixList {
  const maxBits = afi === AFI.IPv4 ? 32 : 128;
  // Pass 1: validate every length and count, so pass 2 can fill without checks.
  let p = start;
  let n = 0;
  while (p < end) {
    if (addPath) {
      if (p + 5 > end) throw fail(`truncated ADD-PATH prefix at offset ${p - start}`);
      p += 4;
    }
    const len = buf[p];
    if (len > maxBits) throw fail(`prefix length ${len} exceeds ${maxBits}`);
    p += 1 + ((len + 7) >> 3);
    if (p > end) throw fail(`prefix of length ${len} overruns the field`);
    n++;
  }
  if (n === 0) return addPath ? (afi === AFI.IPv4 ? EMPTY_V4_ADDPATH : EMPTY_V6_ADDPATH) : afi === AFI.IPv4 ? EMPTY_V4 : EMPTY_V6;
  const ids = addPath ? new Uint32Array(n) : null;
  const lens = new Uint8Array(n);
  p = start;
  if (afi === AFI.IPv4) {
    const addrs = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      if (ids) {
        ids[i] = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
        p += 4;
      }
      const len = buf[p++];
      lens[i] = len;
      let a = 0;
      switch ((len + 7) >> 3) {
        case 4:
          a = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
          p += 4;
          break;
        case 3:
          a = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8);
          p += 3;
          break;
        case 2:
          a = (buf[p] << 24) | (buf[p + 1] << 16);
          p += 2;
          break;
        case 1:
          a = buf[p] << 24;
          p += 1;
          break;
      }
      // Trailing bits are irrelevant (RFC 4271 §4.3); clear them so equal prefixes compare equal.
      addrs[i] = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
    }
    return { afi, count: n, addrs, lens, pathIds: ids };
  }
  const addrs = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    if (ids) {
      ids[i] = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
      p += 4;
    }
    const len = buf[p++];
    lens[i] = len;
    const nb = (len + 7) >> 3;
    const o = 4 * i;
    for (let b = 0; b < nb; b++) addrs[o + (b >> 2)] |= buf[p + b] << (24 - 8 * (b & 3));
    p += nb;
    if (len & 7) {
      const w = o + ((len - 1) >> 5);
      const bits = len - 32 * ((len - 1) >> 5);
      addrs[w] = (addrs[w] & (0xffffffff << (32 - bits))) >>> 0;
    }
  }
  return { afi, count: n, addrs, lens, pathIds: ids };
}

/** Wire size of prefix i. */
export function prefixWireSize(list: PrefixList, i: number, addPath: boolean): number {
  return (addPath ? 5 : 1) + ((list.lens[i] + 7) >> 3);
}

/** Wire size of prefixes [from, to). */
export function nlriWireSize(list: PrefixList, from: number, to: number, addPath: boolean): number {
  let s = (to - from) * (addPath ? 5 : 1);
  const lens = list.lens;
  for (let i = from; i < to; i++) s += (lens[i] + 7) >> 3;
  return s;
}

/**
 * Write prefixes [from, to) at buf[off]; returns the offset after them. The caller sized buf. With
 * addPath and no ids in the list, path identifier 0 is sent. A list that breaks the PrefixList
 * contract (length beyond the family, too few entries) is refused rather than sent corrupt.
 */
export function writeNlri(list: PrefixList, from: number, to: number, addPath: boolean, buf: Buffer, off: number): number {
  let p = off;
  const ids = list.pathIds;
  const v4 = list.afi === AFI.IPv4;
  const addrs = list.addrs;
  const maxBits = v4 ? 32 : 128;
  if (to > list.lens.length || to * (v4 ? 1 : 4) > addrs.length || (ids && addPath && to > ids.length)) {
    throw encodeError(`PrefixList of ${list.count} prefixes has arrays too short`);
  }
  for (let i = from; i < to; i++) {
    if (list.lens[i] > maxBits) throw encodeError(`prefix length ${list.lens[i]} in an ${v4 ? 'IPv4' : 'IPv6'} PrefixList`);
    if (addPath) {
      const id = ids ? ids[i] : 0;
      buf[p] = id >>> 24;
      buf[p + 1] = (id >>> 16) & 255;
      buf[p + 2] = (id >>> 8) & 255;
      buf[p + 3] = id & 255;
      p += 4;
    }
    const len = list.lens[i];
    buf[p++] = len;
    const nb = (len + 7) >> 3;
    if (v4) {
      const a = addrs[i];
      for (let b = 0; b < nb; b++) buf[p + b] = (a >>> (24 - 8 * b)) & 255;
    } else {
      const o = 4 * i;
      for (let b = 0; b < nb; b++) buf[p + b] = (addrs[o + (b >> 2)] >>> (24 - 8 * (b & 3))) & 255;
    }
    p += nb;
  }
  return p;
}

/**
 * The address, as a host-order u32, of the IPv4 prefix whose length octet is buf[o] in a field
 * without ADD-PATH; the next prefix starts at o + 1 + ((buf[o] + 7) >> 3). For fields a validating
 * walk (scanUpdate) has checked: nothing is checked here.
 */
export function v4PrefixAt(buf: Buffer, o: number): number {
  const n = (buf[o] + 7) >> 3;
  return ((n > 0 ? buf[o + 1] << 24 : 0) | (n > 1 ? buf[o + 2] << 16 : 0) | (n > 2 ? buf[o + 3] << 8 : 0) | (n > 3 ? buf[o + 4] : 0)) >>> 0;
}
