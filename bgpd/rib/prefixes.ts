// The prefix index of the RIB: every prefix any table holds gets a small dense number (its pid), and
// every per-prefix table (Adj-RIB-In, Loc-RIB, Adj-RIB-Out) is a typed array indexed by pid. IPv4
// prefixes are found through an open-addressing hash on (address, length) in typed arrays, so the
// hot path of an ingest creates no string or object per prefix; IPv6 goes through a Map keyed by
// text (tables here are small). Text forms are made only for views, logs and tests.
import { ipv6ToString } from '../wire/addr.js';
import { AFI, type Afi } from '../wire/types.js';

/** Decimal text of 0…255, made once. */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

export class PrefixTable {
  /** Number of pids handed out (pids are 0 … size-1). */
  size = 0;
  afi: Uint8Array;
  len: Uint8Array;
  v4: Uint32Array;
  /** IPv6 words, four per IPv6 prefix; an IPv6 pid's v4 entry is its index here. */
  v6 = new Uint32Array(64);
  #v6count = 0;
  // IPv4 hash: each slot holds pid + 1 (0: empty); the key is read back from v4/len, so the hash
  // costs four octets a slot.
  #h = new Int32Array(2048);
  #hUsed = 0;
  #v6 = new Map<string, number>();
  #growListeners: ((capacity: number) => void)[] = [];

  /** Arrays for `capacity` pids before they first grow (address space only until written). */
  constructor(capacity = 1024) {
    this.afi = new Uint8Array(capacity);
    this.len = new Uint8Array(capacity);
    this.v4 = new Uint32Array(capacity);
  }

  get capacity(): number {
    return this.afi.length;
  }

  /** Called with the new capacity whenever per-pid arrays must grow. */
  onGrow(fn: (capacity: number) => void): void {
    this.#growListeners.push(fn);
  }

  /**
   * The home slot of a prefix. Consecutive networks of one length (a table sent in order, as peers
   * send them) get consecutive slots, sixteen to a 64-octet line, so an ordered feed touches each
   * line of the hash once rather than once per prefix; where a run of sixteen goes is hashed from
   * the rest of the network number and the length (murmur3's finaliser: every bit reaches the mask).
   */
  #slot(addr: number, len: number): number {
    const net = len === 0 ? 0 : addr >>> (32 - len);
    let h = (net >>> 4) ^ Math.imul(len + 1, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (((h ^ (h >>> 16)) << 4) | (net & 15)) & (this.#h.length - 1);
  }

  /** The pid of an IPv4 prefix, or -1. */
  findV4(addr: number, len: number): number {
    const h = this.#h;
    const mask = h.length - 1;
    for (let s = this.#slot(addr, len); ; s = (s + 1) & mask) {
      const e = h[s];
      if (e === 0) return -1;
      const pid = e - 1;
      if (this.v4[pid] === addr && this.len[pid] === len && this.afi[pid] === AFI.IPv4) return pid;
    }
  }

  /** The pid of an IPv4 prefix, made when new. */
  internV4(addr: number, len: number): number {
    const h = this.#h;
    const mask = h.length - 1;
    let s = this.#slot(addr, len);
    for (; ; s = (s + 1) & mask) {
      const e = h[s];
      if (e === 0) break;
      const pid = e - 1;
      if (this.v4[pid] === addr && this.len[pid] === len && this.afi[pid] === AFI.IPv4) return pid;
    }
    const pid = this.#newPid(AFI.IPv4, len);
    this.v4[pid] = addr;
    h[s] = pid + 1;
    if (++this.#hUsed * 2 > h.length) this.#rehash();
    return pid;
  }

  /** Twice the slots. Every IPv4 pid is in the hash (pids live as long as the table), so they are
   * put back in pid order: their keys are read in sequence rather than at random. */
  #rehash(): void {
    const h = (this.#h = new Int32Array(this.#h.length * 2));
    const mask = h.length - 1;
    for (let pid = 0; pid < this.size; pid++) {
      if (this.afi[pid] !== AFI.IPv4) continue;
      let s = this.#slot(this.v4[pid], this.len[pid]);
      while (h[s] !== 0) s = (s + 1) & mask;
      h[s] = pid + 1;
    }
  }

  /** The pid of an IPv6 prefix (four words from `off`), made when new unless `find`. */
  internV6(words: ArrayLike<number>, off: number, len: number, find = false): number {
    const key = `${words[off]},${words[off + 1]},${words[off + 2]},${words[off + 3]}/${len}`;
    const have = this.#v6.get(key);
    if (have !== undefined || find) return have ?? -1;
    const pid = this.#newPid(AFI.IPv6, len);
    if (4 * this.#v6count === this.v6.length) this.v6 = grow(this.v6, this.v6.length * 2);
    const at = this.#v6count++;
    this.v4[pid] = at;
    for (let k = 0; k < 4; k++) this.v6[4 * at + k] = words[off + k];
    this.#v6.set(key, pid);
    return pid;
  }

  #newPid(afi: Afi, len: number): number {
    if (this.size === this.afi.length) this.#grow();
    const pid = this.size++;
    this.afi[pid] = afi;
    this.len[pid] = len;
    return pid;
  }

  #grow(): void {
    const cap = this.afi.length * 2;
    this.afi = grow(this.afi, cap);
    this.len = grow(this.len, cap);
    this.v4 = grow(this.v4, cap);
    for (const fn of this.#growListeners) fn(cap);
  }

  text(pid: number): string {
    if (this.afi[pid] === AFI.IPv4) {
      const a = this.v4[pid];
      return `${OCTET[a >>> 24]}.${OCTET[(a >>> 16) & 255]}.${OCTET[(a >>> 8) & 255]}.${OCTET[a & 255]}/${OCTET[this.len[pid]]}`;
    }
    return `${ipv6ToString(this.v6, 4 * this.v4[pid])}/${this.len[pid]}`;
  }
}

/** A copy of a typed array at a larger length (new entries zero). */
export function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, length: number): T {
  if (a.length >= length) return a;
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
