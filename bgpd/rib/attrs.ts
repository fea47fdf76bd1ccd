// Attribute interning: one frozen object per distinct attribute set, shared by every route that
// carries it (BIRD's rta_lookup: "tables only contain cached rta's"). Routes hold a small number
// (the id) in typed arrays; the id leads here. The decision process reads the numbers it compares
// from the interned entry, computed once per attribute set rather than once per route.
import { asPathLength } from '../wire/attrs/aspath.js';
import type { PathAttributes } from '../wire/types.js';

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
  readonly key: string;
  /** Keyed by rawKey's bare form (its own table). */
  readonly bare: boolean;
}

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);


export class AttrTable {
  #byKey = new Map<string, Attr>();
  #bare = new Map<string, Attr>();
  #byId: (Attr | undefined)[] = [undefined]; // id 0 means "no route"
  #free: number[] = [];

  get size(): number {
    return this.#byKey.size + this.#bare.size;
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
    let rest = attrs;
    if (attrs.mpReach || attrs.mpUnreach) {
      const { mpReach: _r, mpUnreach: _u, ...others } = attrs;
      rest = others;
    }
    // The decoder's objects belong to one UPDATE and are not reused, so the entry takes them over;
    // freezing the top level keeps holders from changing a set others share.
    const stored = Object.freeze(rest);
    const path = stored.asPath ?? [];
    const first = path[0];
    const id = this.#free.pop() ?? this.#byId.length;
    const a: Attr = {
      id,
      attrs: stored,
      nextHops: Object.freeze([...nextHops]),
      hop4: firstOf(nextHops, false),
      hop6: firstOf(nextHops, true),
      localPref: stored.localPref,
      asPathLen: asPathLength(path as PathAttributes['asPath'] & object),
      origin: stored.origin ?? 2,
      med: stored.med ?? 0,
      neighborAs: first && (first.type === 2 || first.type === 1) && first.asns.length ? first.asns[0] : 0,
      originatorId: stored.originatorId,
      clusterListLen: stored.clusterList?.length ?? 0,
      refs: 0,
      key,
      bare,
    };
    this.#byId[id] = a;
    table.set(key, a);
    return a;
  }

  /** Drop one reference; the entry goes when none is left. */
  release(a: Attr): void {
    if (--a.refs > 0) return;
    (a.bare ? this.#bare : this.#byKey).delete(a.key);
    this.#byId[a.id] = undefined;
    this.#free.push(a.id);
  }
}

const NONE: readonly string[] = Object.freeze([]);
function firstOf(hops: readonly string[], v6: boolean): readonly string[] {
  const h = hops.find((x) => x.includes(':') === v6);
  return h === undefined ? NONE : Object.freeze([h]);
}
