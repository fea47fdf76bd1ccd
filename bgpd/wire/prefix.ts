// PrefixList tools: build one, iterate one, and convert single prefixes to and from text
// ("10.0.0.0/24", "2001:db8::/32"). The packed layout itself is defined in types.ts; nothing here
// allocates per prefix except the text conversions, which are for config, logs and tests.
import { parseIpv4, parseIpv6, ipv4ToString, ipv6ToString } from './addr.js';
import { AFI, type Afi, type PrefixList } from './types.js';

/** One prefix as plain numbers: IPv4 addr is a u32, IPv6 addr four u32 words. */
export interface ParsedPrefix {
  afi: Afi;
  addr: number[]; // one word for IPv4, four for IPv6
  len: number;
}

export function emptyPrefixList(afi: Afi, addPath = false): PrefixList {
  return { afi, count: 0, addrs: new Uint32Array(0), lens: new Uint8Array(0), pathIds: addPath ? new Uint32Array(0) : null };
}

/** Mask host bits of a u32 beyond `len` network bits. */
export function maskV4(a: number, len: number): number {
  return len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
}

function maskWords(w: number[], len: number): number[] {
  return w.map((x, i) => {
    const bits = Math.min(32, Math.max(0, len - 32 * i));
    return maskV4(x, bits);
  });
}

/** "a.b.c.d/len" or "v6/len" → numbers with host bits cleared; null on bad text. */
export function parsePrefix(s: string): ParsedPrefix | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addrText = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (addrText.includes(':')) {
    const w = parseIpv6(addrText);
    if (!w || len > 128) return null;
    return { afi: AFI.IPv6, addr: maskWords(Array.from(w), len), len };
  }
  const a = parseIpv4(addrText);
  if (a === null || len > 32) return null;
  return { afi: AFI.IPv4, addr: [maskV4(a, len)], len };
}

/** Prefix i of a list as text. */
export function prefixToString(list: PrefixList, i: number): string {
  if (list.afi === AFI.IPv4) return `${ipv4ToString(list.addrs[i])}/${list.lens[i]}`;
  return `${ipv6ToString(list.addrs, 4 * i)}/${list.lens[i]}`;
}

/** All prefixes of a list as text, with "#id" appended when the list carries ADD-PATH ids. */
export function prefixListToStrings(list: PrefixList): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.count; i++) {
    const p = prefixToString(list, i);
    out.push(list.pathIds ? `${p}#${list.pathIds[i]}` : p);
  }
  return out;
}

/** Calls fn for each prefix without allocating: IPv6 callers read list.addrs at 4*i. */
export function forEachPrefix(list: PrefixList, fn: (i: number, len: number, pathId: number) => void): void {
  const ids = list.pathIds;
  for (let i = 0; i < list.count; i++) fn(i, list.lens[i], ids ? ids[i] : 0);
}

/** Growable builder for a PrefixList; finish() returns exactly-sized arrays. */
export class PrefixListBuilder {
  readonly afi: Afi;
  #addrs: Uint32Array;
  #lens: Uint8Array;
  #ids: Uint32Array | null;
  #count = 0;
  readonly #words: number;

  constructor(afi: Afi, addPath = false, capacity = 16) {
    this.afi = afi;
    this.#words = afi === AFI.IPv4 ? 1 : 4;
    const cap = Math.max(1, capacity);
    this.#addrs = new Uint32Array(cap * this.#words);
    this.#lens = new Uint8Array(cap);
    this.#ids = addPath ? new Uint32Array(cap) : null;
  }

  get count(): number {
    return this.#count;
  }

  #grow(): void {
    const cap = this.#lens.length * 2;
    const a = new Uint32Array(cap * this.#words);
    a.set(this.#addrs);
    this.#addrs = a;
    const l = new Uint8Array(cap);
    l.set(this.#lens);
    this.#lens = l;
    if (this.#ids) {
      const d = new Uint32Array(cap);
      d.set(this.#ids);
      this.#ids = d;
    }
  }

  /** Add an IPv4 prefix (host bits are cleared). */
  addV4(addr: number, len: number, pathId = 0): this {
    if (this.#words !== 1) throw new TypeError('addV4 on an IPv6 PrefixListBuilder');
    if (!(len >= 0 && len <= 32)) throw new RangeError(`IPv4 prefix length ${len}`);
    if (this.#count === this.#lens.length) this.#grow();
    this.#addrs[this.#count] = maskV4(addr >>> 0, len);
    this.#lens[this.#count] = len;
    if (this.#ids) this.#ids[this.#count] = pathId >>> 0;
    this.#count++;
    return this;
  }

  /** Add an IPv6 prefix from four words (host bits are cleared). */
  addV6(words: ArrayLike<number>, len: number, pathId = 0): this {
    if (this.#words !== 4) throw new TypeError('addV6 on an IPv4 PrefixListBuilder');
    if (!(len >= 0 && len <= 128)) throw new RangeError(`IPv6 prefix length ${len}`);
    if (this.#count === this.#lens.length) this.#grow();
    const o = 4 * this.#count;
    for (let k = 0; k < 4; k++) this.#addrs[o + k] = maskV4(words[k] >>> 0, Math.min(32, Math.max(0, len - 32 * k)));
    this.#lens[this.#count] = len;
    if (this.#ids) this.#ids[this.#count] = pathId >>> 0;
    this.#count++;
    return this;
  }

  /** Add a prefix given as text; throws TypeError on text that is not a prefix of this family. */
  add(prefix: string, pathId = 0): this {
    const p = parsePrefix(prefix);
    if (!p || p.afi !== this.afi) throw new TypeError(`not an ${this.afi === AFI.IPv4 ? 'IPv4' : 'IPv6'} prefix: ${prefix}`);
    return p.afi === AFI.IPv4 ? this.addV4(p.addr[0], p.len, pathId) : this.addV6(p.addr, p.len, pathId);
  }

  finish(): PrefixList {
    const n = this.#count;
    return {
      afi: this.afi,
      count: n,
      addrs: this.#addrs.slice(0, n * this.#words),
      lens: this.#lens.slice(0, n),
      pathIds: this.#ids ? this.#ids.slice(0, n) : null,
    };
  }
}

/** Build a PrefixList from text prefixes of one family; pathIds makes it an ADD-PATH list. */
export function prefixList(afi: Afi, prefixes: string[], pathIds?: number[]): PrefixList {
  const b = new PrefixListBuilder(afi, pathIds !== undefined, prefixes.length);
  prefixes.forEach((p, i) => b.add(p, pathIds ? pathIds[i] : 0));
  return b.finish();
}

/** A sub-range [start, end) of a list, copied. */
export function slicePrefixList(list: PrefixList, start: number, end: number): PrefixList {
  const w = list.afi === AFI.IPv4 ? 1 : 4;
  return {
    afi: list.afi,
    count: end - start,
    addrs: list.addrs.slice(start * w, end * w),
    lens: list.lens.slice(start, end),
    pathIds: list.pathIds ? list.pathIds.slice(start, end) : null,
  };
}
