// A read-only view of one peer's Adj-RIB-In (RFC 4271 §3.2) inside the RIB: what it announced, with
// import verdicts and graceful-restart stale marks, looked up by prefix text. Built per call; the
// RIB's own storage stays numeric.
import { AFI, type Afi } from '../wire/types.js';
import type { Rib } from './rib.js';
import type { AdjRoute } from './views.js';

export class AdjRibInView {
  readonly #rib: Rib;
  readonly #name: string;

  constructor(rib: Rib, name: string) {
    this.#rib = rib;
    this.#name = name;
  }

  /** Routes the peer announced (accepted by import policy or not). */
  get size(): number {
    return this.#rib.peer(this.#name)?.received ?? 0;
  }

  count(afi: Afi): number {
    let n = 0;
    for (const r of this.routes()) if (r.afi === afi) n++;
    return n;
  }

  get(prefix: string, pathId = 0): AdjRoute | undefined {
    const p = this.#rib.peer(this.#name);
    const pid = this.#rib.pidOf(prefix);
    if (!p || pid < 0 || pathId !== 0) return undefined;
    return this.#route(pid);
  }

  *routes(): IterableIterator<AdjRoute> {
    const p = this.#rib.peer(this.#name);
    if (!p) return;
    for (let pid = 0; pid < p.inAttr.length; pid++) {
      const r = this.#route(pid);
      if (r) yield r;
    }
  }

  #route(pid: number): AdjRoute | undefined {
    const p = this.#rib.peer(this.#name);
    const id = p?.attrAt(pid) ?? 0;
    if (!p || id === 0) return undefined;
    const a = this.#rib.attrs.get(id);
    const afi = this.#rib.prefixes.afi[pid] as Afi;
    const v6 = afi === AFI.IPv6;
    return {
      prefix: this.#rib.prefixes.text(pid),
      pathId: 0,
      afi,
      nextHop: a.nextHops.find((h) => h.includes(':') === v6) ?? a.nextHops[0],
      attributes: a.attrs,
      stale: (p.inFlags[pid] & 2) !== 0,
    };
  }
}
