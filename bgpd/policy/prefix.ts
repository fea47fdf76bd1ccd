// Numeric prefixes for policy: CIDR text is parsed once, at compile time, into a Range of
// host-order u32 words, and the hot-path tests (`covers`, `sameNet`) only shift and compare
// numbers. Nothing here allocates per route. Also a `policyRoute` builder for tests and callers
// that start from text (not for the hot path).
import ipaddr from 'ipaddr.js';
import { AFI } from '../wire/types.js';
import type { PolicyRoute, RouteOrigin } from './types.js';

/** A parsed prefix: `w` holds 1 (IPv4) or 4 (IPv6) host-order u32 words, host bits cleared. */
export interface Range {
  family: 4 | 6;
  len: number;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  /** Per-word network masks as int32 (0 where the word is all host bits): containment is a XOR and an AND. */
  m0: number;
  m1: number;
  m2: number;
  m3: number;
}

function maskOf(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return ~0;
  return ~0 << (32 - bits);
}

function maskWord(word: number, bits: number): number {
  return (word & maskOf(bits)) >>> 0;
}

/** Parse "a.b.c.d/n" or "x::/n" (a bare address is a host prefix); null when it is not one. */
export function parseRange(text: string): Range | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  let bytes: number[];
  try {
    // Dotted quads only for IPv4 (ipaddr.js would also take "10.1" or hex parts).
    if (addr.includes(':') ? !ipaddr.IPv6.isValid(addr) : !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
    const a = ipaddr.parse(addr);
    // An IPv4-mapped address written as IPv6 stays IPv6, as BIRD reads it.
    bytes = a.toByteArray();
  } catch {
    return null;
  }
  const family: 4 | 6 = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return null;
    len = Number(l);
    if (len > max) return null;
  }
  const words = [0, 0, 0, 0];
  for (let i = 0; i < bytes.length; i++) words[i >> 2] = ((words[i >> 2] << 8) | bytes[i]) >>> 0;
  return {
    family,
    len,
    w0: maskWord(words[0], len),
    w1: maskWord(words[1], len - 32),
    w2: maskWord(words[2], len - 64),
    w3: maskWord(words[3], len - 96),
    m0: maskOf(len),
    m1: maskOf(len - 32),
    m2: maskOf(len - 64),
    m3: maskOf(len - 96),
  };
}

/**
 * BIRD's `net ~ prefix` for a prefix: the route is the range itself or inside it. The caller
 * has matched the families (a v4 range never covers a v6 route).
 */
export function covers(rg: Range, r: PolicyRoute): boolean {
  if (!(r.len >= rg.len)) return false;
  if (rg.family === 4) return ((r.v4 ^ rg.w0) & rg.m0) === 0;
  const v = r.v6;
  if (v === null || v === undefined) return false;
  const o = r.v6Offset | 0;
  return ((v[o] ^ rg.w0) & rg.m0) === 0 && ((v[o + 1] ^ rg.w1) & rg.m1) === 0 && ((v[o + 2] ^ rg.w2) & rg.m2) === 0 && ((v[o + 3] ^ rg.w3) & rg.m3) === 0;
}

/** BIRD's `net = prefix`. */
export function sameNet(rg: Range, r: PolicyRoute): boolean {
  return r.len === rg.len && covers(rg, r);
}

/** Family of a route by AFI: 4, 6, or 0 for anything else (which every filter rejects). */
export function routeFamily(r: PolicyRoute): 0 | 4 | 6 {
  return r.afi === AFI.IPv4 ? 4 : r.afi === AFI.IPv6 ? 6 : 0;
}

export function rangeText(rg: Range): string {
  if (rg.family === 4) return `${rg.w0 >>> 24}.${(rg.w0 >>> 16) & 255}.${(rg.w0 >>> 8) & 255}.${rg.w0 & 255}/${rg.len}`;
  const parts: number[] = [];
  for (const w of [rg.w0, rg.w1, rg.w2, rg.w3]) parts.push(w >>> 16, w & 0xffff);
  return `${ipaddr.fromByteArray(parts.flatMap((p) => [p >> 8, p & 255])).toString()}/${rg.len}`;
}

export interface RouteInit {
  from?: RouteOrigin | null;
  iface?: string | null;
  attrs?: PolicyRoute['attrs'];
}

/** Build a PolicyRoute from text (tests, control socket); throws on text that is not a prefix. */
export function policyRoute(prefix: string, init: RouteInit = {}): PolicyRoute {
  const rg = parseRange(prefix);
  if (!rg) throw new Error(`not a prefix: ${JSON.stringify(prefix)}`);
  return {
    afi: rg.family === 4 ? AFI.IPv4 : AFI.IPv6,
    v4: rg.family === 4 ? rg.w0 : 0,
    v6: rg.family === 6 ? Uint32Array.of(rg.w0, rg.w1, rg.w2, rg.w3) : null,
    v6Offset: 0,
    len: rg.len,
    attrs: init.attrs ?? {},
    from: init.from ?? null,
    iface: init.iface ?? null,
  };
}
