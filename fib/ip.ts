// Address helpers for fib/: parse IPv4/IPv6 addresses and prefixes into bytes, normalise prefixes,
// and test containment. Pure and allocation-light, since the kernel writer parses every route it sends.
// Owns no state; never throws on bad input except through the documented `parsePrefix`/`parseAddress`.

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** Network address bytes (4 or 16), host bits cleared. */
  bytes: Uint8Array;
  len: number;
}

/** Parse a dotted quad into 4 bytes, or null. */
function parseV4(s: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let val = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; /* '.' terminates the last part */
    if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[part++] = val;
      val = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return null; // no leading zeros (ambiguous octal)
      val = val * 10 + (c - 48);
      if (val > 255 || ++digits > 3) return null;
    } else return null;
  }
  return part === 4 ? out : null;
}

/** Parse an IPv6 address (with optional embedded IPv4 tail) into 16 bytes, or null. */
function parseV6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const words: number[] = [];
  const tailWords: number[] = [];
  const parseGroups = (str: string, into: number[], allowV4: boolean): boolean => {
    if (str === '') return true;
    const groups = str.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (!v4) return false;
        into.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      into.push(parseInt(g, 16));
    }
    return true;
  };
  if (!parseGroups(head, words, dbl === -1)) return null;
  if (!parseGroups(tail, tailWords, true)) return null;
  const total = words.length + tailWords.length;
  if (dbl === -1 ? total !== 8 : total > 7) return null;
  const all = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

/** Parse an address into bytes; null when it is neither IPv4 nor IPv6. */
export function parseAddress(s: string): { family: Family; bytes: Uint8Array } | null {
  if (typeof s !== 'string') return null;
  if (s.includes(':')) {
    const b = parseV6(s);
    return b ? { family: 6, bytes: b } : null;
  }
  const b = parseV4(s);
  return b ? { family: 4, bytes: b } : null;
}

/**
 * Parse "a.b.c.d/len" or "x::/len" (a bare address is a host prefix). With `strict` false (the
 * default) host bits are cleared, the way `ip route` treats "10.0.0.1/24"; null on bad input.
 */
export function parsePrefix(s: string): Prefix | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  const addr = parseAddress(slash === -1 ? s : s.slice(0, slash));
  if (!addr) return null;
  const max = addr.family === 4 ? 32 : 128;
  let len = max;
  if (slash !== -1) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return null;
    len = Number(l);
    if (len > max) return null;
  }
  const bytes = addr.bytes;
  for (let bit = len; bit < max; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { family: addr.family, bytes, len };
}

/** Text form of address bytes (IPv6 compressed as RFC 5952 says, as `ip` prints it). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // RFC 5952 §4.2: the longest run (first on ties) of two or more zero words becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best === -1) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.bytes)}/${p.len}`;
}

/** Canonical text of a prefix ("10.0.0.0/24", "fd00::/64"), or null when it does not parse. */
export function normalizePrefix(s: string): string | null {
  const p = parsePrefix(s);
  return p ? formatPrefix(p) : null;
}

/** Canonical text of an address, or null. */
export function normalizeAddress(s: string): string | null {
  const a = parseAddress(s);
  return a ? formatAddress(a.bytes) : null;
}

/** True when `inner` (address bytes or a prefix) lies inside `outer`. Families must match. */
export function contains(outer: Prefix, inner: Prefix | { family: Family; bytes: Uint8Array; len?: number }): boolean {
  if (outer.family !== inner.family) return false;
  const innerLen = inner.len ?? (inner.family === 4 ? 32 : 128);
  if (innerLen < outer.len) return false;
  const full = outer.len >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.len & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (outer.bytes[full] & mask) === (inner.bytes[full] & mask);
}
