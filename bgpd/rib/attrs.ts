// Attribute interning: one frozen object per distinct attribute set, shared by every route that
// carries it (BIRD's rta_lookup: "tables only contain cached rta's"). Routes hold a small number
// (the id) in typed arrays; the id leads here. The decision process reads the numbers it compares
// from the interned entry, computed once per attribute set rather than once per route.
import { asPathLength } from '../wire/attrs/aspath.js';
import type { PathAttributes } from '../wire/types.js';
import { grow } from './prefixes.js';

export interface Attr {
  readonly id: number;
  /** Frozen; MP_REACH/MP_UNREACH removed (their NLRI belongs to the UPDATE); IPv4 NEXT_HOP kept. */
  readonly attrs: PathAttributes;
  /** BGP next hops: the IPv4 NEXT_HOP, or the MP_REACH next hops (global, then link-local). */
  readonly nextHops: readonly string[];
  /** The first IPv4 / IPv6 next hop as a shared frozen one-element list ([] when none). */
  readonly hop4: readonly string[];
  readonly hop6: readonly string[];
  readonly localPref: number | undefined;
  readonly asPathLen: number;
  readonly origin: number;
  /** RFC 4271 §9.1.2.2 (c): a missing MED counts as the lowest value. */
  readonly med: number;
  /** The AS the route was received from: the first AS of the path (0 for an empty path). */
  readonly neighborAs: number;
  readonly originatorId: number | undefined;
  readonly clusterListLen: number;
  refs: number;
  /** The key in a string table; '' for an entry of the byte table (internBytes). */
  readonly key: string;
  /** Keyed by rawKey's bare form (its own table, or the byte table when key is ''). */
  readonly bare: boolean;
}

/** Next hops as stored: shared by every attribute set with the same ones. */
interface Hops {
  nextHops: readonly string[];
  hop4: readonly string[];
  hop6: readonly string[];
}

/**
 * An interned attribute set. Only what costs work to find is a field (one object of eight fields per
 * set); the rest are read from the attributes or the shared next hops when asked.
 */
class Entry implements Attr {
  refs = 0;
  constructor(
    readonly id: number,
    readonly attrs: PathAttributes,
    readonly hops: Hops,
    readonly asPathLen: number,
    readonly neighborAs: number,
    readonly key: string,
    readonly bare: boolean,
  ) {}

  get nextHops(): readonly string[] {
    return this.hops.nextHops;
  }

  get hop4(): readonly string[] {
    return this.hops.hop4;
  }

  get hop6(): readonly string[] {
    return this.hops.hop6;
  }

  get localPref(): number | undefined {
    return this.attrs.localPref;
  }

  get origin(): number {
    return this.attrs.origin ?? 2;
  }

  get med(): number {
    return this.attrs.med ?? 0;
  }

  get originatorId(): number | undefined {
    return this.attrs.originatorId;
  }

  get clusterListLen(): number {
    return this.attrs.clusterList?.length ?? 0;
  }
}

/** Distinct next-hop lists remembered for sharing; past this the memo starts afresh. */
const HOPS_MEMO = 4096;

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);


export class AttrTable {
  #byKey = new Map<string, Attr>();
  #bare = new Map<string, Attr>();
  #byId: (Attr | undefined)[] = [undefined]; // id 0 means "no route"
  #free: number[] = [];
  #hops = new Map<string, Hops>();

  // The byte table (internBytes) holds the common key — the decoder's raw attribute bytes on a
  // 4-octet session, IPv4 NLRI — with no string or Map entry per set. Key bytes live in one arena
  // (offset and length per id); an open-addressing hash holds the id per slot (0: empty), linear
  // probing with backward-shift deletion, so no tombstones. Freed key bytes are reclaimed by
  // compacting the arena when it is full.
  #arena = Buffer.alloc(1 << 16);
  #arenaUsed = 0;
  /** Bytes of released keys still in the arena. */
  #arenaDead = 0;
  #kOff = new Uint32Array(1024);
  #kLen = new Uint32Array(1024);
  #kHash = new Int32Array(1024);
  #slots = new Int32Array(1024);
  #slotsUsed = 0;

  get size(): number {
    return this.#byKey.size + this.#bare.size + this.#slotsUsed;
  }

  /**
   * The entry keyed by these raw attribute bytes (the decoder's attrKey on a 4-octet session, for
   * IPv4 NLRI with the NEXT_HOP attribute): the same as rawKey's bare form, without the string.
   * Interns `attrs` under a copy of the bytes when there is none; `attrs` is read only then. The
   * caller takes references with ref().
   */
  internBytes(raw: Buffer, attrs: PathAttributes, nextHop: string): Attr {
    const h = hashBytes(raw);
    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const id = slots[s];
      if (id === 0) break;
      if (this.#kHash[id] === h && this.#sameKey(id, raw)) return this.#byId[id]!;
    }
    const a = this.#make(attrs, this.#hopsOf(nextHop), '', true);
    const id = a.id;
    if (id >= this.#kOff.length) {
      const cap = Math.max(id + 1, this.#kOff.length * 2);
      this.#kOff = grow(this.#kOff, cap);
      this.#kLen = grow(this.#kLen, cap);
      this.#kHash = grow(this.#kHash, cap);
    }
    if (this.#arenaUsed + raw.length > this.#arena.length) this.#compact(raw.length);
    const arena = this.#arena;
    const at = this.#arenaUsed;
    // Keys are a few dozen octets: a loop beats Buffer#copy's fixed cost.
    for (let i = 0; i < raw.length; i++) arena[at + i] = raw[i];
    this.#kOff[id] = at;
    this.#kLen[id] = raw.length;
    this.#kHash[id] = h;
    this.#arenaUsed += raw.length;
    slots[s] = id;
    if (++this.#slotsUsed * 2 > slots.length) this.#rehash(slots.length * 2);
    return a;
  }

  #sameKey(id: number, raw: Buffer): boolean {
    const n = raw.length;
    if (this.#kLen[id] !== n) return false;
    const arena = this.#arena;
    const off = this.#kOff[id];
    for (let i = 0; i < n; i++) if (arena[off + i] !== raw[i]) return false;
    return true;
  }

  #rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    const old = this.#slots;
    for (let i = 0; i < old.length; i++) {
      const id = old[i];
      if (id === 0) continue;
      let s = this.#kHash[id] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.#slots = slots;
  }

  /** Room for `need` more key bytes: live keys moved to the front of an arena at most half full. */
  #compact(need: number): void {
    const slots = this.#slots;
    const live = this.#arenaUsed - this.#arenaDead;
    let size = this.#arena.length;
    while (live + need > size / 2) size *= 2;
    const old = this.#arena;
    const arena = Buffer.alloc(size);
    if (this.#arenaDead === 0) {
      // Nothing to reclaim (a table filling up): one copy.
      old.copy(arena, 0, 0, this.#arenaUsed);
      this.#arena = arena;
      return;
    }
    let at = 0;
    for (let i = 0; i < slots.length; i++) {
      const id = slots[i];
      if (id === 0) continue;
      const off = this.#kOff[id];
      const len = this.#kLen[id];
      old.copy(arena, at, off, off + len);
      this.#kOff[id] = at;
      at += len;
    }
    this.#arena = arena;
    this.#arenaUsed = at;
    this.#arenaDead = 0;
  }

  /** Take an entry of the byte table out of its hash (backward-shift deletion). */
  #unslot(id: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let hole = this.#kHash[id] & mask;
    while (slots[hole] !== id) hole = (hole + 1) & mask;
    // Later entries of the probe run move back into the hole unless their home slot lies
    // cyclically in (hole, j]: then the hole does not sit on their probe path.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const other = slots[j];
      if (other === 0) break;
      const home = this.#kHash[other] & mask;
      if (hole <= j ? home > hole && home <= j : home > hole || home <= j) continue;
      slots[hole] = other;
      hole = j;
    }
    slots[hole] = 0;
    this.#slotsUsed--;
    this.#arenaDead += this.#kLen[id];
  }

  /**
   * The key of an attribute set. With `raw` (the decoder's attrKey bytes, which exclude the MP
   * attributes) the next hops are added; `as4` is part of it because the same bytes mean another
   * AS path on a 2-octet session.
   */
  static rawKey(raw: Buffer, as4: boolean, mpNextHops: readonly string[] | undefined): string {
    // The common case (IPv4 NLRI on a 4-octet session) is the bytes alone: a flat string, hashed
    // without first joining pieces. It has a table of its own (see #bare), so it never meets the
    // composed keys below.
    if (as4 && !mpNextHops) return raw.toString('latin1');
    return `${as4 ? '4' : '2'}${mpNextHops ? mpNextHops.join(',') : ''}\u0000${raw.toString('latin1')}`;
  }

  /** Whether rawKey gave the bare form for these arguments. */
  static isBare(as4: boolean, mpNextHops: readonly string[] | undefined): boolean {
    return as4 && !mpNextHops;
  }

  static plainKey(attrs: PathAttributes, nextHops: readonly string[]): string {
    const { mpReach: _r, mpUnreach: _u, ...rest } = attrs;
    return `j${nextHops.join(',')}\u0000${JSON.stringify(rest, bigintSafe)}`;
  }

  get(id: number): Attr {
    return this.#byId[id]!;
  }

  /** The interned entry for a key, with one more reference, or undefined when there is none yet. */
  lookup(key: string, bare = false): Attr | undefined {
    return (bare ? this.#bare : this.#byKey).get(key);
  }

  /** Intern `attrs` under `key` (see rawKey/plainKey); the caller takes references with ref(). */
  intern(attrs: PathAttributes, nextHops: readonly string[], key = AttrTable.plainKey(attrs, nextHops), bare = false): Attr {
    const table = bare ? this.#bare : this.#byKey;
    const have = table.get(key);
    if (have) return have;
    const a = this.#make(attrs, this.#hopsOf(nextHops.length === 1 ? nextHops[0] : nextHops.join(','), nextHops), key, bare);
    table.set(key, a);
    return a;
  }

  /** A new entry with its own id, not yet in a key table. */
  #make(attrs: PathAttributes, hops: Hops, key: string, bare: boolean): Attr {
    let rest = attrs;
    if (attrs.mpReach || attrs.mpUnreach) {
      const { mpReach: _r, mpUnreach: _u, ...others } = attrs;
      rest = others;
    }
    // One next hop text for every set that has it (the decoder makes a string per UPDATE).
    if (rest.nextHop !== undefined && rest.nextHop === hops.nextHops[0] && !Object.isFrozen(rest)) rest.nextHop = hops.nextHops[0];
    // The decoder's objects belong to one UPDATE and are not reused, so the entry takes them over;
    // freezing the top level keeps holders from changing a set others share.
    const stored = Object.freeze(rest);
    const path = stored.asPath ?? [];
    const first = path[0];
    const id = this.#free.pop() ?? this.#byId.length;
    const a = new Entry(id, stored, hops, asPathLength(path as PathAttributes['asPath'] & object), first && (first.type === 2 || first.type === 1) && first.asns.length ? first.asns[0] : 0, key, bare);
    this.#byId[id] = a;
    return a;
  }

  /** The shared frozen next-hop lists for next hops `k` (joined with ','; `list` when more than one). */
  #hopsOf(k: string, list0?: readonly string[]): Hops {
    let h = this.#hops.get(k);
    if (h === undefined) {
      if (this.#hops.size >= HOPS_MEMO) this.#hops.clear();
      const list = Object.freeze(list0 ? [...list0] : [k]);
      h = { nextHops: list, hop4: firstOf(list, false), hop6: firstOf(list, true) };
      this.#hops.set(k, h);
    }
    return h;
  }

  /** Drop one reference; the entry goes when none is left. */
  release(a: Attr): void {
    if (--a.refs > 0) return;
    if (a.bare && a.key === '') this.#unslot(a.id);
    else (a.bare ? this.#bare : this.#byKey).delete(a.key);
    this.#byId[a.id] = undefined;
    this.#free.push(a.id);
  }
}

const NONE: readonly string[] = Object.freeze([]);
function firstOf(hops: readonly string[], v6: boolean): readonly string[] {
  const h = hops.find((x) => x.includes(':') === v6);
  if (h === undefined) return NONE;
  // A frozen one-hop list of the right family is its own first-hop list.
  return hops.length === 1 ? hops : Object.freeze([h]);
}

/** FNV-1a over the bytes, then murmur3's finaliser so the low bits the masks keep are mixed. */
function hashBytes(b: Buffer): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}
