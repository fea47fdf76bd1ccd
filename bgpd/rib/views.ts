// Plain-data views of the RIB for the control socket, the kernel and tests. Nothing here is on the
// hot path: views are built when asked for.
import type { Afi, PathAttributes } from '../wire/types.js';

/** One path of one prefix. */
export interface RibRouteView {
  prefix: string;
  afi: 1 | 2;
  /** The session it came from; null: this node's own route. */
  session: string | null;
  peerAddress: string | null;
  attrs: PathAttributes;
  /** The interned attribute set's id: paths with the same id share one set. */
  attrId: number;
  nextHops: string[];
  best: boolean;
  /** When the path arrived (ms since the epoch). */
  since: number;
  stale: boolean;
}

/**
 * A prefix's best path changed. nextHops is the multipath set of BGP next hops of the learned best
 * path(s); [] means no learned path is in use (withdrawn, or this node's own route won: session
 * null; the kernel programs those from policy.originated()).
 */
export interface BestChange {
  prefix: string;
  afi: 1 | 2;
  nextHops: string[];
  session: string | null;
}

/** A route of one peer's Adj-RIB-In, as the session tests and the control socket read it. */
export interface AdjRoute {
  prefix: string;
  pathId: number;
  afi: Afi;
  nextHop: string | undefined;
  attributes: PathAttributes;
  stale: boolean;
}
