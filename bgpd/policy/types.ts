// The contract between the RIB (bgpd/rib) and Calico's policy (this folder). The RIB owns routes and
// calls these closures; policy owns what Calico's BIRD filters decide (calico_export_to_bgp_peers,
// the BGPFilter functions confd generates, calico_kernel_programming) and never sees RIB internals.
// Plain data in, plain verdicts out, so the RIB can run the closures on its hot path (no strings
// built per route unless a rule needs them) and later move to a worker.
import type { Afi, LargeCommunity, PathAttributes } from '../wire/types.js';

/**
 * A route as policy sees it. The prefix is numeric: IPv4 `v4` is the network address as a
 * host-order u32 (network bits high); IPv6 `v6` holds four host-order u32 words, most significant
 * first, from `v6Offset` (so a RIB's packed storage can be passed without copying). Host bits past
 * `len` are zero.
 */
export interface PolicyRoute {
  afi: Afi;
  v4: number;
  v6: Uint32Array | null;
  v6Offset: number;
  len: number;
  attrs: PathAttributes;
  /**
   * Where the route came from: a BGP session (by protocol name, with its kind), or this node itself
   * (`null`): a block's blackhole, a service CIDR, a static route.
   */
  from: RouteOrigin | null;
  /** Outgoing interface where the route has one (local kernel routes); null for BGP routes. */
  iface: string | null;
}

export interface RouteOrigin {
  session: string;
  /** Same AS on both ends. */
  ibgp: boolean;
  peerAddress: string;
}

/** The peer a closure is compiled for: what Calico's filters look at. */
export interface PolicyPeer {
  session: string;
  ibgp: boolean;
  /** BGPFilter names, in order (DesiredSession.filters). */
  filters: string[];
  family: 4 | 6;
}

/** Export: `null` rejects; otherwise the communities to add (prefixAdvertisements). */
export type ExportVerdict = null | { communities: number[]; largeCommunities: LargeCommunity[] };

export type ExportFilter = (r: PolicyRoute) => ExportVerdict;
export type ImportFilter = (r: PolicyRoute) => boolean;

/** What this node itself originates into the RIB (BIRD's protocol static / kernel routes). */
export interface OriginatedRoute {
  prefix: string;
  /** `block`: a confirmed local IPAM block (blackholed in the kernel unless /32 or /128). */
  kind: 'block' | 'service';
  blackhole: boolean;
}

export interface Policy {
  exportFilter(peer: PolicyPeer): ExportFilter;
  importFilter(peer: PolicyPeer): ImportFilter;
  /** calico_kernel_programming: may this best route go into the kernel? (service CIDRs may not) */
  kernelFilter: ImportFilter;
  originated(): OriginatedRoute[];
  /**
   * Structural identity of what a peer's filters depend on: equal keys across a reload mean the
   * peer's export and import need no re-evaluation (BIRD's filter_same).
   */
  key(peer: PolicyPeer): string;
}
