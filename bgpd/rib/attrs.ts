// Attribute interning: one entry per distinct attribute set, shared by every route that carries it
// (BIRD's rta_lookup: "tables only contain cached rta's"). Routes hold a small number (the id) in
// typed arrays; the id leads here. An entry is columns indexed by id — the numbers the decision
// compares, computed once per set, its reference count, its shared next hops — and no object of its
// own: an Attr is a light handle (id + table) made when asked, or one handle re-pointed per
// candidate by the decision. Sets keyed by their wire bytes (the common case: IPv4 NLRI on a
// 4-octet session) keep only those bytes; their decoded attributes are made again from the bytes
// when a view or an export asks. Other sets keep their decoded object.
import { asPathLength, decodeAttributes, hashBytes, ipv4ToString } from '../wire/index.js';
import type { CodecContext, PathAttributes } from '../wire/types.js';
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
  /** References held by routes (a column of the table: every handle of one id sees the same). */
  refs: number;
  /** The key in a string table; '' for an entry of the byte table (internBytes, internScanned). */
  readonly key: string;
  /** Keyed by rawKey's bare form (its own table, or the byte table when key is ''). */
  readonly bare: boolean;
}

/**
 * What a validating walk over an UPDATE found (bgpd/wire/scan.ts fills one): where the attribute
 * bytes are, their hash, and the numbers the decision needs.
 */
export interface ScannedAttrs {
  aStart: number;
  aEnd: number;
  hash: number;
  origin: number;
  /** IPv4 NEXT_HOP as a u32. */
  nextHop: number;
  hasLocalPref: boolean;
  localPref: number;
  med: number;
  asPathLen: number;
  neighborAs: number;
  hasOriginatorId: boolean;
  originatorId: number;
  clusterListLen: number;
}

/** Next hops as stored: shared by every attribute set with the same ones. */
interface Hops {
  nextHops: readonly string[];
  hop4: readonly string[];
  hop6: readonly string[];
}

const HAS_LOCAL_PREF = 1;
const HAS_ORIGINATOR = 2;

/** Entry kinds: free id; keyed by wire bytes; by a composed string key; by a bare string key. */
const FREE = 0;
const BYTES = 1;
const KEYED = 2;
const BARE = 3;

/** Everything kept per id, in typed arrays (no object or heap number per set): the decision's numbers, the
 * reference count and kind, and where a byte-table key lies in the arena. */
class Columns {
  refs: Int32Array;
  /** FREE, or which table keys the entry (BYTES, KEYED, BARE). */
  kind: Uint8Array;
  flags: Uint8Array;
  origin: Uint8Array;
  localPref: Uint32Array;
  med: Uint32Array;
  /** An AS_PATH fits in one attribute of at most 65535 octets: its length fits 16 bits. */
  asPathLen: Uint16Array;
  neighborAs: Uint32Array;
  originatorId: Uint32Array;
  clusterListLen: Uint16Array;
  /** Byte-table keys: where each lies in the arena, its length (an attribute list is at most
   * 65535 octets) and its hash. */
  keyOff: Uint32Array;
  keyLen: Uint16Array;
  keyHash: Int32Array;

  constructor(n: number) {
    this.refs = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.origin = new Uint8Array(n);
    this.localPref = new Uint32Array(n);
    this.med = new Uint32Array(n);
    this.asPathLen = new Uint16Array(n);
    this.neighborAs = new Uint32Array(n);
    this.originatorId = new Uint32Array(n);
    this.clusterListLen = new Uint16Array(n);
    this.keyOff = new Uint32Array(n);
    this.keyLen = new Uint16Array(n);
    this.keyHash = new Int32Array(n);
  }

  ensure(id: number): void {
    if (id < this.flags.length) return;
    const cap = Math.max(id + 1, this.flags.length * 2);
    this.refs = grow(this.refs, cap);
    this.kind = grow(this.kind, cap);
    this.flags = grow(this.flags, cap);
    this.origin = grow(this.origin, cap);
    this.localPref = grow(this.localPref, cap);
    this.med = grow(this.med, cap);
    this.asPathLen = grow(this.asPathLen, cap);
    this.neighborAs = grow(this.neighborAs, cap);
    this.originatorId = grow(this.originatorId, cap);
    this.clusterListLen = grow(this.clusterListLen, cap);
    this.keyOff = grow(this.keyOff, cap);
    this.keyLen = grow(this.keyLen, cap);
    this.keyHash = grow(this.keyHash, cap);
  }

  /** The numbers of a decoded attribute set (for an id the columns already hold: see ensure). */
  setFrom(id: number, a: PathAttributes): void {
    const path = a.asPath ?? [];
    const first = path[0];
    this.flags[id] = (a.localPref !== undefined ? HAS_LOCAL_PREF : 0) | (a.originatorId !== undefined ? HAS_ORIGINATOR : 0);
    this.origin[id] = a.origin ?? 2;
    this.localPref[id] = a.localPref ?? 0;
    this.med[id] = a.med ?? 0;
    this.asPathLen[id] = asPathLength(path);
    this.neighborAs[id] = first && (first.type === 2 || first.type === 1) && first.asns.length ? first.asns[0] : 0;
    this.originatorId[id] = a.originatorId ?? 0;
    this.clusterListLen[id] = a.clusterList?.length ?? 0;
  }

  /** The numbers a walk over the wire bytes found. */
  setScanned(id: number, s: ScannedAttrs): void {
    this.flags[id] = (s.hasLocalPref ? HAS_LOCAL_PREF : 0) | (s.hasOriginatorId ? HAS_ORIGINATOR : 0);
    this.origin[id] = s.origin;
    this.localPref[id] = s.localPref;
    this.med[id] = s.med;
    this.asPathLen[id] = s.asPathLen;
    this.neighborAs[id] = s.neighborAs;
    this.originatorId[id] = s.originatorId;
    this.clusterListLen[id] = s.clusterListLen;
  }
}

/**
 * A handle on an interned attribute set: everything is read from the table's columns by id. Handles
 * are cheap and interchangeable — two handles of one id are the same set — and the decision keeps
 * one per candidate whose id it moves (see at()).
 */
export class AttrRef implements Attr {
  constructor(
    readonly table: AttrTable,
    public id: number,
  ) {}

  get refs(): number {
    return this.table.cols.refs[this.id];
  }

  set refs(n: number) {
    this.table.cols.refs[this.id] = n;
  }

  get attrs(): PathAttributes {
    return this.table.attrsOf(this.id);
  }

  get key(): string {
    return this.table.keyOf(this.id);
  }

  get bare(): boolean {
    return this.table.cols.kind[this.id] !== KEYED;
  }

  get nextHops(): readonly string[] {
    return this.table.hopsOf(this.id).nextHops;
  }

  get hop4(): readonly string[] {
    return this.table.hopsOf(this.id).hop4;
  }

  get hop6(): readonly string[] {
    return this.table.hopsOf(this.id).hop6;
  }

  get localPref(): number | undefined {
    const c = this.table.cols;
    return c.flags[this.id] & HAS_LOCAL_PREF ? c.localPref[this.id] : undefined;
  }

  get origin(): number {
    return this.table.cols.origin[this.id];
  }

  get med(): number {
    return this.table.cols.med[this.id];
  }

  get asPathLen(): number {
    return this.table.cols.asPathLen[this.id];
  }

  get neighborAs(): number {
    return this.table.cols.neighborAs[this.id];
  }

  get originatorId(): number | undefined {
    const c = this.table.cols;
    return c.flags[this.id] & HAS_ORIGINATOR ? c.originatorId[this.id] : undefined;
  }

  get clusterListLen(): number {
    return this.table.cols.clusterListLen[this.id];
  }
}

/** Distinct next-hop lists remembered for sharing; past this the memo starts afresh. */
const HOPS_MEMO = 4096;

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

/** How the byte table's keys are decoded again: a 4-octet session's attribute list, MP excluded. */
const KEY_CONTEXT: CodecContext = Object.freeze({ as4: true, addPath: Object.freeze({ ipv4: false, ipv6: false }), extendedMessage: true });


export class AttrTable {
  /** The entries, by id: the decision's numbers, reference counts and kinds. */
  readonly cols: Columns;
  #byKey = new Map<string, number>();
  #bare = new Map<string, number>();
  /** Ids handed out so far (id 0 means "no route" and is never used). */
  #ids = 1;
  #free: number[] = [];
  /** Shared next hops by id (one pointer an entry). */
  #hopsById: (Hops | undefined)[] = [undefined];
  /** Decoded attributes and key of the entries not keyed by wire bytes (KEYED, BARE). */
  #stored = new Map<number, { attrs: PathAttributes; key: string }>();
  #hops = new Map<string, Hops>();
  /** The same shared next hops by IPv4 address as a u32, for the scanned path (no text per set). */
  #hops4 = new Map<number, Hops>();

  // The byte table (internBytes, internScanned) holds the common key — the raw attribute bytes on a
  // 4-octet session, IPv4 NLRI — with no string or Map entry per set. Key bytes live in one arena
  // (offset and length per id); an open-addressing hash holds the id per slot (0: empty), linear
  // probing with backward-shift deletion, so no tombstones. Freed key bytes are reclaimed by
  // compacting the arena when it is full.
  #arena = Buffer.alloc(1 << 16);
  #arenaUsed = 0;
  /** Bytes of released keys still in the arena. */
  #arenaDead = 0;
  #slots = new Int32Array(1024);
  #slotsUsed = 0;

  /** Columns for `capacity` ids before they first grow (address space only until written). */
  constructor(capacity = 1024) {
    this.cols = new Columns(capacity);
  }

  get size(): number {
    return this.#byKey.size + this.#bare.size + this.#slotsUsed;
  }

  /**
   * The entry keyed by these raw attribute bytes (the decoder's attrKey on a 4-octet session, for
   * IPv4 NLRI with the NEXT_HOP attribute): the same as rawKey's bare form, without the string.
   * Interns under a copy of the bytes when there is none, with the numbers of `attrs` (read only
   * then); the attributes themselves are decoded from the bytes when asked. The caller takes
   * references (refs, or ref()).
   */
  internBytes(raw: Buffer, attrs: PathAttributes, nextHop: string): Attr {
    const h = hashBytes(raw, 0, raw.length);
    const s = this.#probe(raw, 0, raw.length, h);
    if (s < 0) return new AttrRef(this, -s);
    const id = this.#makeKeyed(raw, 0, raw.length, h, s, this.#hopsOf(nextHop));
    this.cols.setFrom(id, attrs);
    return new AttrRef(this, id);
  }

  /**
   * internBytes for attributes a validating walk found at buf[s.aStart, s.aEnd), with the hash and
   * numbers it computed; the id of the entry. Nothing is decoded, and nothing is allocated when the
   * set is known.
   */
  internScanned(buf: Buffer, s: ScannedAttrs): number {
    const slot = this.#probe(buf, s.aStart, s.aEnd, s.hash);
    if (slot < 0) return -slot;
    let hops = this.#hops4.get(s.nextHop);
    if (hops === undefined) {
      if (this.#hops4.size >= HOPS_MEMO) this.#hops4.clear();
      const n = s.nextHop;
      hops = this.#hopsOf(ipv4ToString(n));
      this.#hops4.set(n, hops);
    }
    const id = this.#makeKeyed(buf, s.aStart, s.aEnd, s.hash, slot, hops);
    this.cols.setScanned(id, s);
    return id;
  }

  /** -id when buf[start, end) is a key of the byte table, else the free slot where it would go. */
  #probe(buf: Buffer, start: number, end: number, h: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const id = slots[s];
      if (id === 0) return s;
      if (this.cols.keyHash[id] === h && this.#sameKey(id, buf, start, end)) return -id;
    }
  }

  /** A fresh id of kind `kind` with next hops `hops`, no references yet. */
  #newId(kind: number, hops: Hops): number {
    const id = this.#free.pop() ?? this.#ids++;
    const c = this.cols;
    c.ensure(id);
    c.kind[id] = kind;
    c.refs[id] = 0;
    this.#hopsById[id] = hops;
    return id;
  }

  /** A new entry of the byte table under a copy of buf[start, end), put in hash slot `s`. */
  #makeKeyed(buf: Buffer, start: number, end: number, h: number, s: number, hops: Hops): number {
    const id = this.#newId(BYTES, hops);
    const n = end - start;
    if (this.#arenaUsed + n > this.#arena.length) this.#compact(n);
    const arena = this.#arena;
    const at = this.#arenaUsed;
    // Keys are a few dozen octets: a loop beats Buffer#copy's fixed cost.
    for (let i = 0; i < n; i++) arena[at + i] = buf[start + i];
    this.cols.keyOff[id] = at;
    this.cols.keyLen[id] = n;
    this.cols.keyHash[id] = h;
    this.#arenaUsed += n;
    this.#slots[s] = id;
    if (++this.#slotsUsed * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    return id;
  }

  /** The attributes of an entry: stored, or decoded again from its key bytes (frozen either way). */
  attrsOf(id: number): PathAttributes {
    const stored = this.#stored.get(id);
    if (stored) return stored.attrs;
    const off = this.cols.keyOff[id];
    const attrs = decodeAttributes(this.#arena, off, off + this.cols.keyLen[id], KEY_CONTEXT).attrs;
    const hop = this.#hopsById[id]?.nextHops[0];
    // One next hop text for every set that has it.
    if (hop !== undefined && attrs.nextHop === hop) attrs.nextHop = hop;
    return Object.freeze(attrs);
  }

  keyOf(id: number): string {
    return this.#stored.get(id)?.key ?? '';
  }

  hopsOf(id: number): Hops {
    return this.#hopsById[id]!;
  }

  #sameKey(id: number, buf: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (this.cols.keyLen[id] !== n) return false;
    const arena = this.#arena;
    const off = this.cols.keyOff[id];
    for (let i = 0; i < n; i++) if (arena[off + i] !== buf[start + i]) return false;
    return true;
  }

  #rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    const old = this.#slots;
    for (let i = 0; i < old.length; i++) {
      const id = old[i];
      if (id === 0) continue;
      let s = this.cols.keyHash[id] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.#slots = slots;
  }

  /**
   * Room for `need` more key bytes. A table filling up (nothing released) gets an arena twice the
   * size; otherwise live keys move to the front of an arena at most half full, so compactions stay
   * rare under churn. Bytes past the used end are never read, so the new arena is not zeroed (its
   * pages cost memory only once keys are written to them).
   */
  #compact(need: number): void {
    const slots = this.#slots;
    const live = this.#arenaUsed - this.#arenaDead;
    let size = this.#arena.length;
    const old = this.#arena;
    if (this.#arenaDead === 0) {
      while (live + need > size) size *= 2;
      const arena = Buffer.allocUnsafeSlow(size);
      old.copy(arena, 0, 0, this.#arenaUsed);
      this.#arena = arena;
      return;
    }
    while (live + need > size / 2) size *= 2;
    const arena = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (let i = 0; i < slots.length; i++) {
      const id = slots[i];
      if (id === 0) continue;
      const off = this.cols.keyOff[id];
      const len = this.cols.keyLen[id];
      old.copy(arena, at, off, off + len);
      this.cols.keyOff[id] = at;
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
    let hole = this.cols.keyHash[id] & mask;
    while (slots[hole] !== id) hole = (hole + 1) & mask;
    // Later entries of the probe run move back into the hole unless their home slot lies
    // cyclically in (hole, j]: then the hole does not sit on their probe path.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const other = slots[j];
      if (other === 0) break;
      const home = this.cols.keyHash[other] & mask;
      if (hole <= j ? home > hole && home <= j : home > hole || home <= j) continue;
      slots[hole] = other;
      hole = j;
    }
    slots[hole] = 0;
    this.#slotsUsed--;
    this.#arenaDead += this.cols.keyLen[id];
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

  /** A handle on entry `id` (a fresh one each call; see at() for a reused one). */
  get(id: number): Attr {
    return new AttrRef(this, id);
  }

  /** `handle` pointed at entry `id`: the decision's per-candidate handle, moved instead of made. */
  at(handle: AttrRef, id: number): AttrRef {
    handle.id = id;
    return handle;
  }

  /** The interned entry for a key, or undefined when there is none yet. */
  lookup(key: string, bare = false): Attr | undefined {
    const id = (bare ? this.#bare : this.#byKey).get(key);
    return id === undefined ? undefined : new AttrRef(this, id);
  }

  /** Intern `attrs` under `key` (see rawKey/plainKey); the caller takes references. */
  intern(attrs: PathAttributes, nextHops: readonly string[], key = AttrTable.plainKey(attrs, nextHops), bare = false): Attr {
    const table = bare ? this.#bare : this.#byKey;
    const have = table.get(key);
    if (have !== undefined) return new AttrRef(this, have);
    const hops = this.#hopsOf(nextHops.length === 1 ? nextHops[0] : nextHops.join(','), nextHops);
    let rest = attrs;
    if (attrs.mpReach || attrs.mpUnreach) {
      const { mpReach: _r, mpUnreach: _u, ...others } = attrs;
      rest = others;
    }
    // One next hop text for every set that has it (the decoder makes a string per UPDATE).
    if (rest.nextHop !== undefined && rest.nextHop === hops.nextHops[0] && !Object.isFrozen(rest)) rest.nextHop = hops.nextHops[0];
    // The decoder's objects belong to one UPDATE and are not reused, so the entry takes them over;
    // freezing the top level keeps holders from changing a set others share.
    const id = this.#newId(bare ? BARE : KEYED, hops);
    this.#stored.set(id, { attrs: Object.freeze(rest), key });
    this.cols.setFrom(id, rest);
    table.set(key, id);
    return new AttrRef(this, id);
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

  /** One more reference to entry `id`. */
  ref(id: number): void {
    this.cols.refs[id]++;
  }

  /** Drop one reference; the entry goes when none is left. */
  release(a: Attr): void {
    this.releaseId(a.id);
  }

  releaseId(id: number): void {
    const c = this.cols;
    if (--c.refs[id] > 0) return;
    const kind = c.kind[id];
    if (kind === BYTES) this.#unslot(id);
    else {
      const key = this.#stored.get(id)!.key;
      (kind === BARE ? this.#bare : this.#byKey).delete(key);
      this.#stored.delete(id);
    }
    c.kind[id] = FREE;
    this.#hopsById[id] = undefined;
    this.#free.push(id);
  }
}

const NONE: readonly string[] = Object.freeze([]);
function firstOf(hops: readonly string[], v6: boolean): readonly string[] {
  const h = hops.find((x) => x.includes(':') === v6);
  if (h === undefined) return NONE;
  // A frozen one-hop list of the right family is its own first-hop list.
  return hops.length === 1 ? hops : Object.freeze([h]);
}
