// A plain Adj-RIB-In for one peer (RFC 4271 §3.2): the routes it announced, as the last UPDATE for
// each prefix (and ADD-PATH path id) left them, with graceful-restart stale marks. The speaker's
// minimal path keeps one per session until the full RIB (bgpd/rib) takes over; keys are prefix text
// so the control socket and tests can read it directly.
import { ipv4ToString, ipv6ToString } from '../wire/addr.js';
import { AFI, type Afi, type PathAttributes, type PrefixList, type UpdateMessage } from '../wire/types.js';

export interface AdjRoute {
  prefix: string; // "10.0.0.0/24", "fd00::/64"
  pathId: number;
  afi: Afi;
  nextHop: string | undefined;
  attributes: PathAttributes;
  stale: boolean;
}

/** Prefix i of a packed list as text. */
export function prefixText(list: PrefixList, i: number): string {
  if (list.afi === AFI.IPv4) return `${ipv4ToString(list.addrs[i])}/${list.lens[i]}`;
  return `${ipv6ToString(list.addrs, i * 4)}/${list.lens[i]}`;
}

export class AdjRibIn {
  #routes = new Map<string, AdjRoute>();

  get size(): number {
    return this.#routes.size;
  }

  count(afi: Afi): number {
    let n = 0;
    for (const r of this.#routes.values()) if (r.afi === afi) n++;
    return n;
  }

  get(prefix: string, pathId = 0): AdjRoute | undefined {
    return this.#routes.get(`${prefix}#${pathId}`);
  }

  routes(): IterableIterator<AdjRoute> {
    return this.#routes.values();
  }

  /** Apply one UPDATE: withdrawals first, then announcements (RFC 4271 §9). */
  apply(u: UpdateMessage): void {
    const a = u.attributes;
    this.#withdraw(u.withdrawn);
    if (a.mpUnreach) this.#withdraw(a.mpUnreach.nlri);
    if (u.treatAsWithdraw) {
      // RFC 7606 §2: every prefix of the UPDATE is withdrawn.
      this.#withdraw(u.nlri);
      if (a.mpReach) this.#withdraw(a.mpReach.nlri);
      return;
    }
    // The MP attributes describe their own NLRI; a route keeps the others.
    const { mpReach, mpUnreach: _u, ...shared } = a;
    if (u.nlri.count > 0) this.#announce(u.nlri, shared, a.nextHop);
    if (mpReach) this.#announce(mpReach.nlri, shared, mpReach.nextHops[0]);
  }

  #withdraw(list: PrefixList): void {
    for (let i = 0; i < list.count; i++) this.#routes.delete(`${prefixText(list, i)}#${list.pathIds ? list.pathIds[i] : 0}`);
  }

  #announce(list: PrefixList, attributes: PathAttributes, nextHop: string | undefined): void {
    for (let i = 0; i < list.count; i++) {
      const prefix = prefixText(list, i);
      const pathId = list.pathIds ? list.pathIds[i] : 0;
      this.#routes.set(`${prefix}#${pathId}`, { prefix, pathId, afi: list.afi, nextHop, attributes, stale: false });
    }
  }

  /** RFC 4724 §4.2: the peer restarts; keep its routes, marked stale. */
  markStale(): void {
    for (const r of this.#routes.values()) r.stale = true;
  }

  /** Drop the stale routes of one family, or of all (null). Returns how many went. */
  sweep(afi: Afi | null): number {
    let n = 0;
    for (const [k, r] of this.#routes) {
      if (r.stale && (afi === null || r.afi === afi)) {
        this.#routes.delete(k);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.#routes.clear();
  }
}
